"""``{D}/output_base_topic/{unit}/log/pepeunit``: one log entry or an array of them.

Each entry: ``level`` (capitalised, one of the five levels), ``text`` (string),
optional ``create_datetime`` (ISO 8601; missing means receipt time + index seconds).
A bad entry is dropped alone; the valid ones of the same message are kept.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from ...models import LogLevel
from ...services.unit_logs import LogEntry
from ...services.unit_reports import clean_text
from ..messages import Rejected

log = logging.getLogger(__name__)
_LEVELS = {level.value: level for level in LogLevel}


def _when(raw, now: datetime, index: int) -> datetime:
    if raw is None or raw == "":
        return now + timedelta(seconds=index)
    if not isinstance(raw, str) or len(raw) > 64:
        raise ValueError("create_datetime must be an ISO 8601 string")
    value = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith("Z") else raw)
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value


def _entry(unit_uuid, item, now: datetime, index: int) -> LogEntry:
    if not isinstance(item, dict):
        raise ValueError("entry must be an object")
    level = item.get("level")
    level = _LEVELS.get(level.capitalize()) if isinstance(level, str) else None
    if level is None:
        raise ValueError(f"level must be one of {', '.join(_LEVELS)}")
    text = item.get("text")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    return LogEntry(unit_uuid, level, clean_text(text), _when(item.get("create_datetime"), now, index))


def handle(context, batch, parsed, text: str, now) -> str:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        raise Rejected("log payload is not JSON") from None
    items = data if isinstance(data, list) else [data]
    kept = 0
    for index, item in enumerate(items):
        try:
            batch.logs.append(_entry(parsed.unit_uuid, item, now, index))
            kept += 1
        except (ValueError, TypeError, OverflowError) as exc:
            log.info("unit %s: log entry %d dropped: %s", parsed.unit_uuid, index, exc)
    if not kept:
        raise Rejected("no valid log entry")
    batch.log_units[parsed.unit_uuid] = now
    return "accepted"
