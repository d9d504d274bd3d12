"""What the console's inspectors show: one customer, one product, and the catalog's fit coverage."""
