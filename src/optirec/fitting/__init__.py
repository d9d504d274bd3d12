"""Fit for one shopper: the product page's fit panel, and the listing of the frames that fit."""
