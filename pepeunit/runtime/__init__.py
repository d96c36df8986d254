"""Background runtime: leader-elected jobs started in every gunicorn worker."""
