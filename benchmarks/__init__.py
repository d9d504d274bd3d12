"""The benchmarks that `make bench-*` runs from the repository's root (`python -m benchmarks.serve`): a load
generator and the real servers it measures. Not part of the optirec package, and not in its wheel."""
