"""Fault injection: the backend under load while its own PostgreSQL, Redis and broker fail."""
