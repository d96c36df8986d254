"""Opening one repo, unit or registry entry from a list (or from another entry).

Each is read with the service ``get`` the REST door uses, so visibility rules
are the same; related facts the agent may not see (a private repo behind a
visible unit) are shown as hidden instead of failing the whole view.
"""
from __future__ import annotations

from ...errors import PepeunitError
from ...services import repos, repository_registry, units
from ...services.rollouts import control as rollouts
from .. import callbacks as cb
from .. import keyboards, views
from .common import button_handler, pressed, show


def _or_none(read):
    try:
        return read()
    except PepeunitError:
        return None


def repo_view(agent, uuid, back):
    repo = repos.get(agent, uuid)
    registry = _or_none(lambda: repository_registry.get(agent, repo.repository_registry_uuid))
    versions = repos.versions(agent, repo.uuid)
    is_creator = agent.uuid == repo.creator_uuid  # which buttons to offer; services decide access
    rollout = rollouts.latest_for_repo(repo.uuid)  # after repos.get admitted the agent
    text = views.repo_text(repo, registry.repository_url if registry else None, versions, is_creator, rollout)
    return text, keyboards.repo_keyboard(repo, back, rollout, controls=is_creator)


def unit_view(agent, uuid, back):
    unit = units.get(agent, uuid)
    repo = _or_none(lambda: repos.get(agent, unit.repo_uuid))
    is_creator = agent.uuid == unit.creator_uuid  # which buttons to offer; services decide access
    target = _or_none(lambda: units.get_target_version(agent, unit.uuid)) if is_creator else None
    text = views.unit_text(unit, repo.name if repo else None, units.unit_state(unit), target, is_creator)
    return text, keyboards.unit_keyboard(unit, is_creator, back)


def registry_view(agent, uuid, back):
    registry = repository_registry.get(agent, uuid)
    text = views.registry_text(registry, repository_registry.branches(registry))
    return text, keyboards.registry_keyboard(registry, back)


OPENERS = {cb.REPO: repo_view, cb.UNIT: unit_view, cb.REGISTRY: registry_view}


def register(bot) -> None:
    @button_handler(bot, "O")
    def open_entity(call):
        parsed, agent = pressed(call)
        text, markup = OPENERS[parsed.kind](agent, parsed.uuid, parsed.back)
        show(bot, call, text, markup)
        return None
