"""Fixtures of the operations tests: an app with CORS origins set (the session app has none)."""
from __future__ import annotations

import dataclasses

import pytest

from pepeunit import create_app

ALLOWED_ORIGINS = ("https://app.example.com", "http://localhost:3000")


@pytest.fixture
def cors_client(app, settings):
    """A test client of an app allowing ``ALLOWED_ORIGINS`` (same database as the session app)."""
    return create_app(dataclasses.replace(settings, PU_CORS_ORIGINS=ALLOWED_ORIGINS)).test_client()
