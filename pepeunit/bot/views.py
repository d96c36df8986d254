"""Texts of the browsing messages: lists, repos, units, registries, nodes, logs.

HTML parse mode: every value from the database or a repository is escaped and
clipped, so a message stays under Telegram's 4096 characters.
"""
from __future__ import annotations

import re
from datetime import datetime
from html import escape, unescape

from .callbacks import REGISTRY, REPO, UNIT

MAX_VALUE = 200  # characters of one shown value (node state, log line)
MAX_TEXT = 4000  # of Telegram's 4096 characters, counted after entity parsing
TAG_RE = re.compile(r"<[^>]*>")
TITLES = {REPO: "Repos", UNIT: "Units", REGISTRY: "Repository registry"}
COMMAND_OF = {REPO: "/repo", UNIT: "/unit", REGISTRY: "/registry"}
DOCUMENT_CAPTIONS = {"env": "env.json of <b>{}</b>", "zip": "Firmware of <b>{}</b> (zip)",
                     "tar": "Firmware of <b>{}</b> (tar)", "tgz": "Firmware of <b>{}</b> (tgz)"}

LIST_EXPIRED = "This list has expired. Send the command again to browse."
FORGED = "This button is not valid (any more). Nothing was changed."
NOT_IN_LIST = "No such filter for this list."
TOO_BIG = "The file is {}; Telegram bots may send at most {}. Download it through the REST API instead."


def clip(value, limit: int = MAX_VALUE) -> str:
    text = "" if value is None else str(value)
    return escape(text if len(text) <= limit else text[: limit - 1] + "…")


def plain(html_text: str, limit: int = 200) -> str:
    """An HTML reply text as the plain text of an answerCallbackQuery (0-200 characters)."""
    text = unescape(html_text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def size(count: int) -> str:
    for unit in ("bytes", "KB", "MB"):
        if count < 1024 or unit == "MB":
            return f"{count} {unit}" if unit == "bytes" else f"{count:.1f} {unit}"
        count /= 1024
    return ""


def when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S UTC") if value else "never"


def _finish(lines: list[str]) -> str:
    """Lines up to ``MAX_TEXT`` visible characters; whole lines only (each closes its own
    tags), so a cut never breaks the HTML."""
    sizes = [visible_length(line) + 1 for line in lines]
    if sum(sizes) <= MAX_TEXT:
        return "\n".join(lines)
    kept, size = [], 2  # room for the closing "\n…"
    for line, length in zip(lines, sizes, strict=True):
        if size + length > MAX_TEXT:
            break
        kept.append(line)
        size += length
    return "\n".join(kept + ["…"])


def visible_length(html_text: str) -> int:
    """Characters Telegram counts against its 4096 limit: the text after entity parsing."""
    return len(unescape(TAG_RE.sub("", html_text)))


# --------------------------------------------------------------------------- lists
def list_text(view, count: int, page: int, pages: int) -> str:
    lines = [f"<b>{TITLES[view.kind]}</b>: {count} found, page {page + 1} of {pages}"]
    if view.parent_name:
        lines.append(f"Under: <b>{clip(view.parent_name)}</b>")
    if view.search:
        lines.append(f"Search: <i>{clip(view.search)}</i>")
    filters = ["mine only" if view.mine else "everything you may see"]
    if view.kind == REGISTRY:
        filters.append({None: "public and private", True: "public only", False: "private only"}[view.public])
    else:
        filters.append("levels: " + (", ".join(view.levels) or "none"))
    lines.append("Filters: " + "; ".join(filters))
    if not count:
        lines.append("")
        lines.append(f"Nothing matches. Change the filters, or search with {COMMAND_OF[view.kind]} &lt;words&gt;.")
    return _finish(lines)


def item_label(kind: str, item) -> str:
    if kind == REGISTRY:
        return f"{item.repository_url} · {'public' if item.is_public_repository else 'private'}"
    return f"{item.name} · {item.visibility_level.value}"


# --------------------------------------------------------------------------- entities
def rollout_lines(rollout) -> list[str]:
    """The repo's newest rollout: status, stage, what its units reported (and why it halted)."""
    stages = rollout.stages
    units = [u for s in stages for u in s.units]
    counts = {name: sum(len(getattr(s, name)) for s in stages) for name in ("succeeded", "failed", "waiting")}
    stage = f"stage {rollout.current_stage + 1}/{len(stages)}" if rollout.current_stage >= 0 else "not started"
    line = (f"<b>Rollout</b> to <code>{clip(rollout.target_commit[:12])}</code>: {rollout.status.value}, {stage}; "
            f"{counts['succeeded']} ok, {counts['failed']} failed, {counts['waiting']} waiting of {len(units)}")
    return [line] + ([clip(rollout.halt_reason)] if rollout.halt_reason else [])


def repo_text(repo, registry_url: str | None, versions: dict, is_creator: bool, rollout=None) -> str:
    lines = [
        f"<b>Repo {clip(repo.name)}</b>{' (yours)' if is_creator else ''}",
        f"Visibility: {repo.visibility_level.value}",
        f"Repository: {clip(registry_url) if registry_url else 'hidden'}",
        f"Default branch: {clip(repo.default_branch)}",
        "Updates: " + ("automatic, " + ("tags only" if repo.is_only_tag_update else "every commit")
                       if repo.is_auto_update_repo else f"by hand, pinned to {clip(repo.default_commit)}"),
        f"Compilable: {'yes' if repo.is_compilable_repo else 'no'}",
        f"Created: {when(repo.create_datetime)}",
        "",
        f"<b>Units</b>: {versions['unit_count']} reporting a version",
    ]
    for version in versions["versions"][:10]:
        tag = f" ({clip(version['tag'])})" if version["tag"] else ""
        lines.append(f"<code>{clip(version['commit'][:12])}</code>{tag}: {version['unit_count']}")
    if rollout is not None:
        lines += ["", *rollout_lines(rollout)]
    return _finish(lines)


def unit_text(unit, repo_name: str | None, state: dict | None, target, is_creator: bool) -> str:
    lines = [
        f"<b>Unit {clip(unit.name)}</b>{' (yours)' if is_creator else ''}",
        f"Visibility: {unit.visibility_level.value}",
        f"Repo: {clip(repo_name) if repo_name else 'hidden'}",
        "Updates: " + ("follows the repo" if unit.is_auto_update_from_repo_unit
                       else f"pinned to {clip(unit.repo_branch)} @ {clip(unit.repo_commit)}"),
        f"Running: {clip(unit.current_commit_version) if unit.current_commit_version else 'unknown'}",
    ]
    if target is not None:
        tag = f" ({clip(target.tag)})" if target.tag else ""
        lines.append(f"Target: {clip(target.commit)}{tag}")
    if unit.firmware_update_status is not None:
        error = f": {clip(unit.firmware_update_error)}" if unit.firmware_update_error else ""
        lines.append(f"Firmware update: {unit.firmware_update_status.value}{error}")
    lines.append(f"Last change: {when(unit.last_update_datetime)}")
    if state:
        lines += ["", "<b>Last state</b>"]
        for key in ("millis", "mem_free", "mem_alloc", "freq", "pu_commit_version"):
            if state.get(key) is not None:
                lines.append(f"{key}: {clip(state[key])}")
    return _finish(lines)


def registry_text(registry, branches: list[str]) -> str:
    lines = [
        f"<b>Repository</b> {clip(registry.repository_url)}",
        f"Platform: {registry.platform.value}; {'public' if registry.is_public_repository else 'private'}",
        f"Sync: {registry.sync_status.value if registry.sync_status else 'never'}"
        + (f" ({clip(registry.sync_error)})" if registry.sync_error else "")
        + f", last {when(registry.sync_last_datetime)}",
        f"Local size: {registry.local_repository_size / 1024 / 1024:.2f} MB",
        f"Branches: {', '.join(clip(b, 60) for b in branches[:20]) or 'none'}"
        + (f" and {len(branches) - 20} more" if len(branches) > 20 else ""),
    ]
    return _finish(lines)


# --------------------------------------------------------------------------- unit sub-views
def nodes_text(unit, kind_name: str, count: int, nodes: list, page: int, pages: int) -> str:
    lines = [f"<b>{kind_name} of {clip(unit.name)}</b>: {count}, page {page + 1} of {pages}", ""]
    for node in nodes:
        state = "no value yet" if node.state is None else f"<code>{clip(node.state)}</code>"
        lines.append(f"<b>{clip(node.topic_name)}</b> · {node.visibility_level.value}")
        lines.append(f"  {state} · {when(node.last_update_datetime)}")
    if not nodes:
        lines.append("None you may see.")
    return _finish(lines)


def logs_text(unit, count: int, logs: list, page: int, pages: int) -> str:
    lines = [f"<b>Logs of {clip(unit.name)}</b>: {count}, newest first, page {page + 1} of {pages}", ""]
    for entry in logs:
        lines.append(f"{entry.create_datetime:%m-%d %H:%M:%S} <b>{entry.level.value}</b> {clip(entry.text)}")
    if not logs:
        lines.append("No log lines. LogSync asks the unit to send its log again.")
    return _finish(lines)


def command_sent(command: str, unit_name: str) -> str:
    return f"{command} sent to {unit_name}."


def command_not_in_schema(command: str) -> str:
    return f"Not sent: this unit's schema has no topic for {command}."
