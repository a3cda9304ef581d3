"""Reception models (see reception issue)."""
