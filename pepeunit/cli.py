"""Operator commands: ``flask --app wsgi <command>``."""
from __future__ import annotations

import click
import sqlalchemy as sa

from .extensions import db, get_settings


def register_cli(app) -> None:
    @app.cli.command("check-config")
    def check_config():
        """Print the effective configuration (secrets masked)."""
        settings = get_settings()
        for name, value in vars(settings).items():
            shown = "***" if any(s in name for s in ("SECRET", "KEY", "PASSWORD", "TOKEN")) and value else value
            click.echo(f"{name}={shown}")

    @app.cli.command("rotate-encrypt-key")
    @click.option("--old-key", required=True, envvar="PU_OLD_ENCRYPT_KEY",
                  help="the previous PU_ENCRYPT_KEY (base64); PU_ENCRYPT_KEY must already hold the new one")
    def rotate_encrypt_key(old_key):
        """Re-encrypt PATs, unit env and state storage under the current PU_ENCRYPT_KEY."""
        from .config import _aes_key
        from .errors import PepeunitError
        from .services import key_rotation

        try:
            _aes_key(old_key)
            report = key_rotation.rotate(old_key)
        except ValueError as exc:
            raise click.BadParameter(str(exc), param_hint="--old-key") from None
        except PepeunitError as exc:
            db.session.rollback()
            raise click.ClickException(f"nothing changed: a value opens with neither key ({exc.text})") from None
        click.echo(f"re-encrypted {report.reencrypted} values; {report.already_new} were already under the new key")

    @app.cli.command("devbroker")
    @click.option("--bind", default=None, help="listen address (default PU_DEV_BROKER_BIND)")
    @click.option("--hook-url", default=None, help="authorization hook (default: this instance's /units/auth)")
    def devbroker(bind, hook_url):
        """Run the development MQTT broker (amqtt) authorised by our hook, as EMQX would be."""
        # amqtt is a development dependency (requirements-dev.txt): loaded by this command only.
        try:
            from .broker import devbroker as broker
        except ModuleNotFoundError as exc:
            raise click.ClickException(
                f"the dev broker needs {exc.name}, a development dependency: pip install -r requirements-dev.txt"
            ) from None

        settings = get_settings()
        bind = bind or settings.PU_DEV_BROKER_BIND
        hook_url = hook_url or f"{settings.link_prefix_and_v1}/units/auth"
        click.echo(f"dev broker on {bind}, authorization by {hook_url}")
        broker.run(bind, hook_url)

    @app.cli.command("wait-db")
    def wait_db():
        """Fail unless the database answers."""
        db.session.execute(sa.text("SELECT 1"))
        click.echo("database reachable")
