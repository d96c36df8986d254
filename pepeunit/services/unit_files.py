"""The two files every unit repository must carry, read and checked at a commit.

``schema_example.json`` (topics) and ``env_example.json`` (env keys) are read
from git objects of the registry's clone, never from a work tree. Messages are
Pepeunit v1.2's; the v1.2 crashes (non-object files, non-string topics, all
lists empty) become clear 422s instead.
"""
from __future__ import annotations

import json
import string

from ..broker.topics import SCHEMA_KEYS
from ..errors import GitRepoError, JSONDecodeError_
from ..git import LocalRepository

SCHEMA_FILE = "schema_example.json"
ENV_FILE = "env_example.json"
TOPIC_SYMBOLS = string.ascii_letters + string.digits + "/_-"
MAX_TOPIC_LENGTH = 65535 - 100


def read_json(git: LocalRepository, commit: str | None, name: str):
    """Parsed JSON of ``name`` at ``commit`` (GitRepoError if absent, JSONDecodeError_ if not JSON)."""
    if not commit:
        raise GitRepoError("Commit not found")
    raw = git.read_file(commit, name) if git.exists() else None
    if raw is None:
        raise GitRepoError(f"File {name} not found in repo commit {commit}")
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise JSONDecodeError_(f"Data {name} is invalid") from None


def check_schema(schema) -> dict:
    """Full v1.2 validation of a parsed schema_example.json; returns it unchanged."""
    if not isinstance(schema, dict) or not all(key in schema for key in SCHEMA_KEYS):
        raise GitRepoError("This schema file has unresolved IO and base IO keys")
    if not all(isinstance(value, list) for value in schema.values()):
        raise GitRepoError("This schema file has not available value types, only list is available")
    topics = [topic for value in schema.values() for topic in value]
    allowed = frozenset(TOPIC_SYMBOLS)
    if not all(isinstance(topic, str) and topic and set(topic) <= allowed for topic in topics):
        raise GitRepoError(f"Topics in the schema use characters that are not allowed, allowed: {TOPIC_SYMBOLS}")
    longest = max((len(topic) for topic in topics), default=0)
    if longest >= MAX_TOPIC_LENGTH:
        raise GitRepoError(f"The length {longest} of the topic title is too long, max: {MAX_TOPIC_LENGTH}")
    return schema


def check_env_example(env_example) -> dict:
    """env_example.json must be a JSON object."""
    if not isinstance(env_example, dict):
        raise JSONDecodeError_(f"Data {ENV_FILE} is invalid")
    return env_example


def read_schema(git: LocalRepository, commit: str | None, validate: bool = True) -> dict:
    schema = read_json(git, commit, SCHEMA_FILE)
    if validate:
        return check_schema(schema)
    if not isinstance(schema, dict):
        raise JSONDecodeError_(f"Data {SCHEMA_FILE} is invalid")
    return schema


def read_env_example(git: LocalRepository, commit: str | None) -> dict:
    return check_env_example(read_json(git, commit, ENV_FILE))


def check_unit_files(git: LocalRepository, commit: str | None) -> tuple[dict, dict]:
    """Both files at ``commit``, fully validated: ``(schema, env_example)``."""
    return read_schema(git, commit), read_env_example(git, commit)
