"""Benchmarks: `python -m bench.run` (or `make bench`). Prints figures; never fails on timing."""
