"""Baseline recommenders behind one small base class: popularity, EASE and ALS."""
