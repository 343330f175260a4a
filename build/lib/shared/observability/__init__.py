"""Structured logs, Prometheus metrics and health checks."""
