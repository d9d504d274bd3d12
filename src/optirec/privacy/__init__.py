"""What optirec holds on a customer, exported or erased on request."""
