"""``pepeunit.toml`` -> README Markdown (the generator behind ``convert_toml_to_md``).

Sections in order: general (title and parameter table), video, images, models,
files, physical_io, env_description, topic_assignment, work_algorithm,
installation. Input limits and messages are Pepeunit v1.2's.
"""
from __future__ import annotations

import tomllib

from ..errors import ReadmeGenerationError
from ..models import AgentType
from . import access
from .agents import Agent

MAX_CHARACTERS = 10000
STRING_LIMITS = {"name": 50, "description": 400, "language": 50, "version": 30, "license": 50}
LIST_LIMITS = {"hardware": 30, "firmware": 30, "stack": 30, "authors": 30}
LABELS = {"description": "Description", "language": "Lang", "hardware": "Hardware", "firmware": "Firmware",
          "stack": "Stack", "version": "Version", "license": "License", "authors": "Authors"}


def _cell(value) -> str:
    return str(value).replace("\r", " ").replace("\n", " ").replace("|", "\\|").strip()


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = [" | ".join(headers), " | ".join("--" for _ in headers)]
    lines += [" | ".join(_cell(c) for c in row) for row in rows]
    return lines


def _section(data: dict, key: str) -> dict:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _item(value) -> str:
    if isinstance(value, dict):
        name, link = value.get("name", ""), value.get("link", "")
        return f"[{name}]({link})" if link else str(name)
    return f"`{value}`"


def _author(value) -> str:
    if isinstance(value, dict):
        name, email = value.get("name", ""), value.get("email")
        return f"{name} <{email}>" if email else str(name)
    return str(value)


def _general(general: dict) -> list[str]:
    out = []
    if general.get("name"):
        out += [f"# {general['name']}", ""]
    rows = []
    for key, value in general.items():
        if key == "name":
            continue
        if key in ("hardware", "firmware", "stack"):
            text = ", ".join(_item(v) for v in _as_list(value))
        elif key == "language":
            text = f"`{value}`"
        elif key == "authors":
            text = ", ".join(_author(v) for v in _as_list(value))
        else:
            text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        rows.append([LABELS.get(key, key), text])
    if rows:
        out += _table(["Parameter", "Implementation"], rows) + [""]
    return out


def _numbered(items) -> list[str]:
    return [f"{i}. {item}" for i, item in enumerate(_as_list(items), 1)]


def _key_table(title: str, header: str, section: dict) -> list[str]:
    rows = [[f"`{key}`", value] for key, value in section.items()]
    return [f"## {title}", ""] + _table([header, "Description"], rows) + [""] if rows else []


def render(data: dict) -> str:
    out = _general(_section(data, "general"))
    video = _section(data, "video").get("video")
    if isinstance(video, list):
        video = video[0] if video else None
    if isinstance(video, dict):
        out += ["## Video", "", f"[![video]({video.get('preview', '')})]({video.get('link', '')})", ""]
    for key, urls in _section(data, "images").items():
        out += [key if key.startswith("#") else f"## {key.capitalize()}", ""]
        out += [f'<p align="center"><img src="{url}" width="100%"/></p>' for url in _as_list(urls)] + [""]
    models = [m for m in _as_list(_section(data, "models").get("models")) if isinstance(m, dict) and m.get("link")]
    if models:
        rows = [[m.get("version", ""), m.get("description", ""), f"[link]({m['link']})"] for m in models]
        out += ["## Models", ""] + _table(["Version", "Description", "Link"], rows) + [""]
    files = [f for value in _section(data, "files").values() for f in _as_list(value)]
    if files:
        out += ["## Files", ""] + _numbered([_item(f) if isinstance(f, dict) else f for f in files]) + [""]
    out += _key_table("Physical IO", "Key", _section(data, "physical_io"))
    out += _key_table("Env variable assignment", "Variable", _section(data, "env_description"))
    topics = _section(data, "topic_assignment")
    if topics:
        rows = [[f"`{key}`", value] for key, value in topics.items()]
        out += ["## Assignment of Device Topics", ""] + _table(["Topic", "Description"], rows) + [""]
    for key, title in (("work_algorithm", "Work algorithm"), ("installation", "Installation")):
        steps = _section(data, key).get("steps")
        if steps:
            out += [f"## {title}", ""] + _numbered(steps) + [""]
    return "\n".join(out).rstrip("\n") + "\n"


def validate(content: str) -> dict:
    if len(content) > MAX_CHARACTERS:
        raise ReadmeGenerationError(f"toml is too large ({len(content)}) limit {MAX_CHARACTERS} characters")
    try:
        data = tomllib.loads(content)
    except tomllib.TOMLDecodeError as error:
        raise ReadmeGenerationError(f"Error toml deserialization: {error}") from None
    general = _section(data, "general")
    for key, limit in STRING_LIMITS.items():
        value = general.get(key)
        if isinstance(value, str) and len(value.strip()) > limit:
            raise ReadmeGenerationError(f'"general.{key}" is too long ({len(value.strip())}) – max {limit} characters')
    for key, limit in LIST_LIMITS.items():
        value = general.get(key)
        if isinstance(value, list) and len(value) > limit:
            raise ReadmeGenerationError(f'"general.{key}" has too many items ({len(value)}) – max {limit}')
    return data


def convert(agent: Agent, raw: bytes | str) -> str:
    """Markdown for an uploaded ``pepeunit.toml`` (User agents only)."""
    access.require(agent, AgentType.USER)
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise ReadmeGenerationError(f"Error toml deserialization: {error}") from None
    return render(validate(raw))
