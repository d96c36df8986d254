"""Rotating PU_ENCRYPT_KEY re-encrypts every secret at rest, idempotently, through the CLI."""
import base64
import dataclasses
import uuid

from pepeunit import create_app
from pepeunit.extensions import db
from pepeunit.models import RepositoryRegistryCredentials, Unit, VisibilityLevel
from pepeunit.services import crypto

from .. import world
from ..helpers import new_user

NEW_KEY = base64.b64encode(b"n" * 32).decode()


def test_rotation_reencrypts_and_is_repeatable(app, client, settings):
    user, _ = new_user(client, "alice")
    owner = uuid.UUID(user["uuid"])
    old_key = settings.PU_ENCRYPT_KEY
    with app.app_context():
        unit = world.unit(owner, world.repo(owner, bare=True, grants=True), VisibilityLevel.PUBLIC, bare=True,
                          grants=True)
        unit.cipher_env_dict = crypto.encrypt('{"A": "1"}', old_key, 10**6)
        unit.cipher_state_storage = crypto.encrypt("state text", old_key, 10**6)
        registry = world.registry(owner, bare=True)
        db.session.add(RepositoryRegistryCredentials(
            repository_registry_uuid=registry.uuid, user_uuid=owner,
            cipher_credentials=crypto.encrypt('{"username": "u", "pat_token": "secret"}', old_key, 10**6)))
        db.session.commit()
        unit_uuid = unit.uuid

    rotated = create_app(dataclasses.replace(settings, PU_ENCRYPT_KEY=NEW_KEY))
    runner = rotated.test_cli_runner()
    first = runner.invoke(args=["rotate-encrypt-key", "--old-key", old_key])
    assert first.exit_code == 0, first.output
    assert "re-encrypted 3 values; 0 were already" in first.output
    again = runner.invoke(args=["rotate-encrypt-key", "--old-key", old_key])
    assert "re-encrypted 0 values; 3 were already" in again.output
    with rotated.app_context():
        unit = db.session.get(Unit, unit_uuid)
        assert crypto.decrypt(unit.cipher_env_dict, NEW_KEY) == '{"A": "1"}'
        assert crypto.decrypt(unit.cipher_state_storage, NEW_KEY) == "state text"
        creds = db.session.query(RepositoryRegistryCredentials).one()
        assert "secret" in crypto.decrypt(creds.cipher_credentials, NEW_KEY)


def test_wrong_old_key_changes_nothing(app, client, settings):
    user, _ = new_user(client, "alice")
    owner = uuid.UUID(user["uuid"])
    with app.app_context():
        unit = world.unit(owner, world.repo(owner, bare=True, grants=True), VisibilityLevel.PUBLIC, bare=True,
                          grants=True)
        sealed = crypto.encrypt("keep me", settings.PU_ENCRYPT_KEY, 10**6)
        unit.cipher_state_storage = sealed
        db.session.commit()
        unit_uuid = unit.uuid
    rotated = create_app(dataclasses.replace(settings, PU_ENCRYPT_KEY=NEW_KEY))
    result = rotated.test_cli_runner().invoke(
        args=["rotate-encrypt-key", "--old-key", base64.b64encode(b"w" * 32).decode()])
    assert result.exit_code != 0 and "nothing changed" in result.output
    bad = rotated.test_cli_runner().invoke(args=["rotate-encrypt-key", "--old-key", "nope"])
    assert bad.exit_code != 0
    with app.app_context():
        assert db.session.get(Unit, unit_uuid).cipher_state_storage == sealed
