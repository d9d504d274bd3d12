"""The reference storefront at `/shop/`: a page shell and plain ES modules that use only the public API."""
