"""Integration fixtures: the role users come from tests/conftest.py."""
