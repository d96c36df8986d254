"""Extension objects, created unbound and initialised by ``create_app``."""
from __future__ import annotations

import redis
from flask import current_app
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=Base)
migrate = Migrate()


def get_redis() -> redis.Redis:
    """The app's Redis client (one connection pool per process)."""
    return current_app.extensions["pepeunit_redis"]


def get_settings():
    return current_app.config["PU_SETTINGS"]
