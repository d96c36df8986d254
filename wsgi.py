"""WSGI entry point: ``gunicorn -c gunicorn.conf.py wsgi:app`` or ``flask --app wsgi ...``.

Under gunicorn, ``post_fork`` has already built this worker's app for its runtime; serve that one.
"""
from pepeunit import create_app
from pepeunit.runtime.runner import worker_app

app = worker_app() or create_app()
