"""Benchmarks against a real server: run them with ``make bench``."""
