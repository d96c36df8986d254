"""The grammar of inline-button ``callback_data`` (Telegram allows 1-64 bytes).

Fields are joined by ``:``; the first names the action. Uuids travel as 32 hex
digits. Every field is checked on the way in: anything that does not parse is
a ``Forged`` callback (an old client, a hand-made update) and changes nothing.

=========================================  ==========================================
``L:<token>:<page>``                        page of a stored list (``list_views``)
``F:<token>:<flag>``                        toggle a filter of a stored list
``N``                                       no-op (the page counter)
``O:<kind>:<hex>[:<token>:<page>]``         open a repo / unit / registry (Back = list)
``R:<kind>:<hex>``                          a new list under it (units of a repo, ...)
``A:<action>:<hex>``                        unit action: documents and commands
``V:<view>:<hex>:<page>[:<token>:<page>]``  unit sub-view: inputs, outputs, logs
``P:<action>:<hex>``                        rollout control: pause, resume, abort
=========================================  ==========================================
"""
from __future__ import annotations

import re
import uuid as uuid_module
from dataclasses import dataclass

MAX_BYTES = 64
REPO, UNIT, REGISTRY = "r", "u", "g"
KINDS = (REPO, UNIT, REGISTRY)
TOKEN_RE = re.compile(r"[A-Za-z0-9]{8}")
HEX_RE = re.compile(r"[0-9a-f]{32}")
PAGE_RE = re.compile(r"[0-9]{1,4}")
MAX_PAGE = 9999

# unit actions: code -> (what, argument)
DOCUMENTS = {"e": "env", "z": "zip", "t": "tar", "g": "tgz"}
COMMANDS = {"U": "Update", "E": "EnvUpdate", "S": "SchemaUpdate", "L": "LogSync"}
# rollout controls: code -> what
ROLLOUT_ACTIONS = {"p": "pause", "r": "resume", "a": "abort"}
# unit sub-views
INPUTS, OUTPUTS, LOGS = "I", "O", "G"
VIEWS = (INPUTS, OUTPUTS, LOGS)


class Forged(ValueError):
    """callback_data that this bot never produced."""


@dataclass(frozen=True)
class Back:
    """Where "Back" leads: a stored list at a page."""

    token: str
    page: int


@dataclass(frozen=True)
class Parsed:
    action: str
    kind: str | None = None
    uuid: uuid_module.UUID | None = None
    token: str | None = None
    page: int = 0
    code: str | None = None
    back: Back | None = None


def _join(*fields) -> str:
    data = ":".join(str(f) for f in fields)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback_data longer than {MAX_BYTES} bytes: {data!r}")
    return data


def _page(value: int) -> int:
    return max(0, min(int(value), MAX_PAGE))


def _back(back: Back | None) -> tuple:
    return (back.token, _page(back.page)) if back else ()


def list_page(token: str, page: int) -> str:
    return _join("L", token, _page(page))


def toggle(token: str, flag: str) -> str:
    return _join("F", token, flag)


NOOP = "N"


def open_(kind: str, uuid, back: Back | None = None) -> str:
    return _join("O", kind, uuid_module.UUID(str(uuid)).hex, *_back(back))


def related(kind: str, uuid) -> str:
    return _join("R", kind, uuid_module.UUID(str(uuid)).hex)


def action(code: str, uuid) -> str:
    return _join("A", code, uuid_module.UUID(str(uuid)).hex)


def rollout_action(code: str, uuid) -> str:
    return _join("P", code, uuid_module.UUID(str(uuid)).hex)


def view(code: str, uuid, page: int = 0, back: Back | None = None) -> str:
    return _join("V", code, uuid_module.UUID(str(uuid)).hex, _page(page), *_back(back))


# --------------------------------------------------------------------------- parsing
def _token(value: str) -> str:
    if not TOKEN_RE.fullmatch(value):
        raise Forged(value)
    return value


def _uuid(value: str) -> uuid_module.UUID:
    if not HEX_RE.fullmatch(value):
        raise Forged(value)
    return uuid_module.UUID(hex=value)


def _int(value: str) -> int:
    if not PAGE_RE.fullmatch(value):
        raise Forged(value)
    return int(value)


def _parse_back(rest: list[str]) -> Back | None:
    if not rest:
        return None
    if len(rest) != 2:
        raise Forged(":".join(rest))
    return Back(_token(rest[0]), _int(rest[1]))


def _choice(value: str, allowed) -> str:
    if value not in allowed:
        raise Forged(value)
    return value


def parse(data: str | None) -> Parsed:
    """The parsed callback, or ``Forged``."""
    if not data or len(data.encode()) > MAX_BYTES:
        raise Forged(data)
    head, *fields = data.split(":")
    if head == "N" and not fields:
        return Parsed("N")
    if head == "L" and len(fields) == 2:
        return Parsed("L", token=_token(fields[0]), page=_int(fields[1]))
    if head == "F" and len(fields) == 2 and fields[1]:
        return Parsed("F", token=_token(fields[0]), code=fields[1])
    if head == "O" and len(fields) in (2, 4):
        return Parsed("O", kind=_choice(fields[0], KINDS), uuid=_uuid(fields[1]), back=_parse_back(fields[2:]))
    if head == "R" and len(fields) == 2:
        return Parsed("R", kind=_choice(fields[0], (REPO, REGISTRY)), uuid=_uuid(fields[1]))
    if head == "A" and len(fields) == 2:
        code = _choice(fields[0], tuple(DOCUMENTS) + tuple(COMMANDS))
        return Parsed("A", uuid=_uuid(fields[1]), code=code)
    if head == "P" and len(fields) == 2:
        return Parsed("P", uuid=_uuid(fields[1]), code=_choice(fields[0], tuple(ROLLOUT_ACTIONS)))
    if head == "V" and len(fields) in (3, 5):
        return Parsed("V", code=_choice(fields[0], VIEWS), uuid=_uuid(fields[1]), page=_int(fields[2]),
                      back=_parse_back(fields[3:]))
    raise Forged(data)
