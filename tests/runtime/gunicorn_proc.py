"""Moved to ``tests/processes.py`` (shared with the dev broker); kept so older imports still work."""
from ..processes import ROOT, Gunicorn, free_port  # noqa: F401
