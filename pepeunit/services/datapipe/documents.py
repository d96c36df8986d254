"""The files a user exchanges with DataPipe: an upload's bytes (size limit, UTF-8), the YAML
document of a config, and the YAML a stored config is shown back as.

A file that is not a YAML mapping of sections (too large, not UTF-8, not YAML, using aliases, too
deeply nested) is refused as a whole with a ``DataPipeError`` (v1.2 answered these with a 500).
"""
from __future__ import annotations

import json

import yaml

from ...errors import DataPipeError

MAX_CONFIG_BYTES = 64 * 1024  # a real config is well under 1 KB
MAX_DEPTH = 16  # sections -> fields -> filtering_values: 3 levels are enough


# ----------------------------------------------------------------------- reading the file
def read_source(source) -> bytes | str:
    """Bytes of an upload (file-like, bytes or text), reading at most one byte over the limit."""
    if hasattr(source, "read"):
        return source.read(MAX_CONFIG_BYTES + 1)
    return source


def decode_upload(raw: bytes, limit: int, too_large: str, not_utf8: str, codec: str = "utf-8") -> str:
    """An uploaded file's text: ``DataPipeError(too_large)`` over ``limit`` bytes (``{size}`` and ``{limit}``
    filled in), ``DataPipeError(not_utf8)`` when it does not decode as ``codec``. Configs and CSV imports."""
    if len(raw) > limit:
        raise DataPipeError(too_large.format(size=len(raw), limit=limit))
    try:
        return raw.decode(codec)
    except UnicodeDecodeError:
        raise DataPipeError(not_utf8) from None


def load_document(source) -> dict:
    """The YAML mapping in ``source``; ``DataPipeError`` for anything else."""
    raw = read_source(source)
    if isinstance(raw, str):
        raw = raw.encode("utf-8", errors="surrogatepass")
    text = decode_upload(raw, MAX_CONFIG_BYTES, "DataPipe config is larger than {limit} bytes",
                         "DataPipe config is not valid UTF-8")
    try:
        _refuse_aliases_and_depth(text)
        document = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or "invalid document"
        raise DataPipeError(f"DataPipe config is not valid YAML: {problem}{where}") from None
    if document is None:
        raise DataPipeError("DataPipe is None")
    if not isinstance(document, dict):
        raise DataPipeError("DataPipe config must be a YAML mapping of the sections active_period, filters, "
                            "transformations and processing_policy")
    return document


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _refuse_aliases_and_depth(text: str) -> None:
    """Aliases make "billion laughs" bombs; a config never needs one, nor deep nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            raise DataPipeError("DataPipe config must not use YAML aliases")
        if isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                raise DataPipeError(f"DataPipe config is nested deeper than {MAX_DEPTH} levels")
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1


# ----------------------------------------------------------------------- showing back
def stored_to_yaml(stored: str) -> str:
    """The YAML v1.2 shows for a stored config: nulls dropped, block style, field order kept."""
    return yaml.safe_dump(_without_nulls(json.loads(stored)), allow_unicode=True, default_flow_style=False,
                          sort_keys=False)


def _without_nulls(value):
    if isinstance(value, dict):
        return {k: _without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_nulls(v) for v in value if v is not None]
    return value
