"""Browsable lists (/repo, /unit, /registry): their filters, kept per chat in Redis.

A list's filters (search words, "mine only", visibility levels, public/private,
the parent it is under) do not fit in 64 bytes of ``callback_data``, so they are
stored under a random token for the chat that asked, for ``TTL_SECONDS`` after
the last use; buttons carry only the token and a page number. Another chat's
token is simply not found, nor is another instance's (keys are scoped by
``PU_DOMAIN``: backends may share one Redis). Pages are read through the same service ``list_``
functions as REST, as the chat's agent.
"""
from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import asdict, dataclass, field

from ..extensions import get_redis, get_settings
from ..models import VisibilityLevel
from ..services import repos, repository_registry, units
from ..services.agents import Agent
from ..services.crypto import random_code
from ..services.listing import Page
from .callbacks import REGISTRY, REPO, UNIT

PAGE_SIZE = 5
TTL_SECONDS = 24 * 3600
KEY = "pepeunit:telegram:list:{}:{}:{}"  # instance (PU_DOMAIN), chat, token
LEVEL_FLAGS = {"P": VisibilityLevel.PUBLIC.value, "I": VisibilityLevel.INTERNAL.value, "V": VisibilityLevel.PRIVATE.value}
MINE, PUBLIC_CYCLE, CLEAR_SEARCH = "m", "p", "s"
MAX_SEARCH = 100


class ListExpired(LookupError):
    """The token is unknown to this chat (expired, or never made here)."""


@dataclass
class ListView:
    kind: str
    search: str | None = None
    mine: bool = False
    levels: list[str] = field(default_factory=lambda: list(LEVEL_FLAGS.values()))
    public: bool | None = None  # registries: None = both
    parent: str | None = None  # repo uuid for units, registry uuid for repos
    parent_name: str | None = None
    token: str = ""

    def flags(self) -> tuple[str, ...]:
        if self.kind == REGISTRY:
            return (MINE, PUBLIC_CYCLE, CLEAR_SEARCH)
        return (MINE, *LEVEL_FLAGS, CLEAR_SEARCH)

    def toggle(self, flag: str) -> None:
        if flag not in self.flags():
            raise ValueError(flag)
        if flag == MINE:
            self.mine = not self.mine
        elif flag == PUBLIC_CYCLE:
            self.public = {None: True, True: False, False: None}[self.public]
        elif flag == CLEAR_SEARCH:
            self.search = None
        else:
            level = LEVEL_FLAGS[flag]
            self.levels = [v for v in LEVEL_FLAGS.values() if (v == level) != (v in self.levels)]


def new(chat_id, kind: str, search: str | None = None, parent=None, parent_name: str | None = None) -> ListView:
    search = " ".join((search or "").split())[:MAX_SEARCH] or None
    view = ListView(kind=kind, search=search, parent=str(parent) if parent else None, parent_name=parent_name,
                    token=random_code(8))
    save(chat_id, view)
    return view


def _key(chat_id, token: str) -> str:
    return KEY.format(get_settings().PU_DOMAIN, chat_id, token)


def save(chat_id, view: ListView) -> None:
    data = {k: v for k, v in asdict(view).items() if k != "token"}
    get_redis().set(_key(chat_id, view.token), json.dumps(data), ex=TTL_SECONDS)


def load(chat_id, token: str) -> ListView:
    raw = get_redis().get(_key(chat_id, token))
    if raw is None:
        raise ListExpired(token)
    get_redis().expire(_key(chat_id, token), TTL_SECONDS)
    data = json.loads(raw)
    return ListView(token=token, **{k: v for k, v in data.items() if k in ListView.__dataclass_fields__})


def fetch(agent: Agent, view: ListView, page: int) -> tuple[int, list]:
    """(count, items on ``page``) through the kind's service ``list_``."""
    window = Page(offset=page * PAGE_SIZE, limit=PAGE_SIZE)
    creator = agent.uuid if view.mine else None
    parent = uuid_module.UUID(view.parent) if view.parent else None
    levels = [VisibilityLevel(v) for v in view.levels]
    if view.kind == REPO:
        filters = repos.RepoFilter(page=window, search_string=view.search, creator_uuid=creator,
                                   visibility_level=levels, repository_registry_uuid=parent)
        return repos.list_(agent, filters)
    if view.kind == UNIT:
        filters = units.UnitFilter(page=window, search_string=view.search, creator_uuid=creator,
                                   visibility_level=levels, repo_uuid=parent)
        return units.list_(agent, filters)
    filters = repository_registry.RegistryFilter(page=window, search_string=view.search, creator_uuid=creator,
                                                 is_public_repository=view.public)
    return repository_registry.list_(agent, filters)


def pages(count: int) -> int:
    return max(1, -(-count // PAGE_SIZE))
