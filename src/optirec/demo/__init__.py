"""The demo shop: a realistic eyewear catalogue, customers with hidden tastes, a shopper simulator, ground truth."""
