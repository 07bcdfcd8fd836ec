"""Benchmarks: `make bench`. Each figure is a ratio to a baseline measured in the same run."""
