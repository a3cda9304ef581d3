"""Integration models (see integration issue)."""
