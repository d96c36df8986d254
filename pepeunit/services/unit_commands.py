"""Commands to a unit's input base topics: Update, EnvUpdate, SchemaUpdate, LogSync.

A command is published to ``{domain}/input_base_topic/{unit}/{name}/pepeunit``
only when the target version's ``schema_example.json`` lists that name; the
payload is ``{"COMMAND": ...}`` (``Update`` adds ``PU_COMMIT_VERSION`` and, for
compilable repos, ``COMPILED_FIRMWARE_LINK``). ``Update`` also records the
firmware update status on the unit.
"""
from __future__ import annotations

import json

from ..broker import publisher, topics
from ..errors import GitRepoError, JSONDecodeError_, MqttError, ServiceUnavailableError
from ..extensions import db, get_settings
from ..models import BackendTopicCommand, Repo, RepositoryRegistry, Unit, UnitFirmwareUpdateStatus
from ..models.columns import utcnow
from . import access, unit_logs
from .agents import Agent
from .lookup import get_or_not_found
from .target_version import TargetVersion, unit_source
from .unit_files import read_schema as read_schema_example

# Called with the unit before a LogSync is published (the log store deletes the unit's logs).

def platforms(registry: RepositoryRegistry, tag: str | None) -> list[tuple[str, str]]:
    """(asset name, url) pairs released for ``tag`` of a compilable repo."""
    if not registry.releases_data:
        return []
    try:
        releases = json.loads(registry.releases_data)
    except ValueError:
        raise JSONDecodeError_("Data Releases for compile repo is invalid") from None
    assets = releases.get(tag) if isinstance(releases, dict) and tag else None
    return [(str(a[0]), str(a[1])) for a in assets or [] if isinstance(a, (list, tuple)) and len(a) == 2]


def firmware_link(repo: Repo, version: TargetVersion, platform: str | None) -> str:
    """URL of ``platform``'s asset for the target tag; errors name what is available."""
    available = platforms(db.session.get(RepositoryRegistry, repo.repository_registry_uuid), version.tag)
    if not available:
        raise GitRepoError("Target Tag has no platforms")
    for name, link in available:
        if name == platform:
            return link
    raise GitRepoError(f"Not find platform {platform}, available: {[name for name, _ in available]}")


def payload_for(command: BackendTopicCommand, repo: Repo, unit: Unit, version: TargetVersion) -> dict:
    body = {"COMMAND": command.value}
    if command is BackendTopicCommand.UPDATE:
        body["PU_COMMIT_VERSION"] = version.commit
        if repo.is_compilable_repo:
            body["COMPILED_FIRMWARE_LINK"] = firmware_link(repo, version, unit.target_firmware_platform)
    return body


def command_to_unit(unit: Unit, command: BackendTopicCommand) -> bool:
    """Send ``command`` to ``unit``; False when its schema has no such topic (nothing sent)."""
    settings = get_settings()
    source = unit_source(unit)
    body = payload_for(command, source.repo, unit, source.version)
    schema = read_schema_example(source.git, source.version.commit)
    name = topics.COMMAND_TOPICS[command.value]
    if name not in schema[topics.INPUT_BASE]:
        return False
    if command is BackendTopicCommand.LOG_SYNC:
        # The unit re-sends its whole log file, so the stored copy is dropped first (as v1.2 does).
        unit_logs.delete_for_unit(unit.uuid)
        db.session.commit()
    topic = topics.base_topic(settings.PU_DOMAIN, topics.INPUT_BASE, unit.uuid, name)
    try:
        publisher.publish(settings, topic, json.dumps(body))
    except (MqttError, ServiceUnavailableError) as error:
        if command is BackendTopicCommand.UPDATE:
            _record(unit, UnitFirmwareUpdateStatus.ERROR, error.message, None)
        raise
    if command is BackendTopicCommand.UPDATE:
        _record(unit, UnitFirmwareUpdateStatus.REQUEST_SENT, None, utcnow())
    return True


def _record(unit: Unit, status, error, when) -> None:
    unit.firmware_update_status = status
    unit.firmware_update_error = error
    unit.last_firmware_update_datetime = when
    db.session.commit()


def send_command(agent: Agent, uuid, command: BackendTopicCommand) -> bool:
    """Whether it was published (False: the unit's schema has no topic for it)."""
    access.require(agent, access.AgentType.USER, access.AgentType.UNIT)
    unit = get_or_not_found(Unit, uuid)
    access.require_creator_or_self(agent, unit)
    return command_to_unit(unit, command)
