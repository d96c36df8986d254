"""What an operator watches: Prometheus figures (``prometheus_metrics``, served by
``prometheus_endpoint``), the request id and log context (``request_context``, ``log_context``)
and the log format (``logs``).

Not to be confused with ``services/metrics.py``: that is v1.2's "metrics" feature (entity
counts over REST and GraphQL), data of the instance, not figures about the process.
"""
