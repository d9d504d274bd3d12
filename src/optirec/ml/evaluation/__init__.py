"""Offline evaluation: our model and the baselines side by side on one split, the metrics and the report."""
