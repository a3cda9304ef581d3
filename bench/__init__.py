"""Benchmarks at a million cases (issue 11): ``make bench`` runs ``bench/run.py``."""
