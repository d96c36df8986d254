"""Operator commands: ``flask --app wsgi <command>``."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import current_app

from .extensions import db


def register_cli(app) -> None:
    @app.cli.command("check-config")
    def check_config():
        """Print the effective configuration (secrets masked)."""
        settings = current_app.config["PU_SETTINGS"]
        for name, value in vars(settings).items():
            shown = "***" if any(s in name for s in ("SECRET", "KEY", "PASSWORD", "TOKEN")) and value else value
            click.echo(f"{name}={shown}")

    @app.cli.command("wait-db")
    def wait_db():
        """Fail unless the database answers."""
        db.session.execute(sa.text("SELECT 1"))
        click.echo("database reachable")
