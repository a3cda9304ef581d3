"""Benchmarks at a million cases (``docs/performance.md``): ``make bench`` runs ``bench/run.py``."""
