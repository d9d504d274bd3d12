"""Eyewear domain: prescription compatibility and fit rules, scalar (`rules`) and vectorised (`vectorized`)."""
