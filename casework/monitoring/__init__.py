"""Operating the service: the health check operators alert on, and the Prometheus metrics."""
