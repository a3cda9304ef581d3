"""The health check, the metrics and the structured logs."""
