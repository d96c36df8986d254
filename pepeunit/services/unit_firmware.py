"""Firmware archives of a unit, and pushing a repo's new version to its units.

An archive holds the repository tree at the unit's target commit (read from
the bare clone with ``git archive``, so ``.git`` never ships), minus what the
root ``.pepeignore`` lists, plus the unit's ``env.json`` and ``schema.json``.
Compilable repos ship only those two files. Nothing in an archive can point
outside its root: absolute names, ``..`` components, escaping symlinks and
special files are dropped. Archives are built in memory per request, so
concurrent downloads never collide.
"""
from __future__ import annotations

import io
import json
import logging
import posixpath
import tarfile
import threading
import time
import zipfile
import zlib
from dataclasses import dataclass

import pathspec
import sqlalchemy as sa
from flask import current_app

from ..errors import UnitError
from ..extensions import db, get_settings
from ..models import BackendTopicCommand, Repo, Unit
from ..observability import prometheus_metrics as figures
from . import access, acl_generation
from .agents import Agent
from .lookup import get_or_not_found
from .rollouts import lifecycle as rollouts
from .target_version import unit_source
from .unit_commands import command_to_unit
from .unit_env import unit_env
from .unit_files import read_env_example
from .unit_files import read_schema as read_schema_example
from .unit_schema import build_schema
from .units import get_unit_for_owner, resync

log = logging.getLogger(__name__)
VALID_WBITS = list(range(-15, -8)) + list(range(9, 16)) + list(range(25, 32))
VALID_LEVELS = list(range(-1, 10))
GENERATED = ("env.json", "schema.json")
MIMETYPES = {"zip": "application/zip", "tar": "application/x-tar", "tgz": "application/x-tar"}


@dataclass(frozen=True)
class Entry:
    name: str  # root-relative, no leading "./", no trailing "/"
    kind: str  # "dir", "file" or "symlink"
    data: bytes = b""
    mode: int = 0o644
    mtime: int = 0
    linkname: str = ""


def check_tgz_parameters(wbits: int, level: int) -> None:
    if wbits not in VALID_WBITS:
        raise UnitError(f"Wbits {wbits} is not valid, available {VALID_WBITS}")
    if level not in VALID_LEVELS:
        raise UnitError(f"Level {level} is not valid, available {VALID_LEVELS}")


def _safe_name(name: str) -> str | None:
    if name.startswith("/") or "\\" in name:
        return None
    parts = [p for p in name.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return None
    return "/".join(parts)


def _link_stays_inside(name: str, target: str) -> bool:
    if not target or target.startswith("/"):
        return False
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(name), target))
    return resolved != ".." and not resolved.startswith("../") and not resolved.startswith("/")


def _ignored(spec: pathspec.PathSpec | None, name: str, is_dir: bool) -> bool:
    if spec is None:
        return False
    parts = name.split("/")
    for depth in range(1, len(parts)):  # an ignored ancestor directory takes everything below it
        ancestor = "/".join(parts[:depth])
        if spec.match_file(ancestor) or spec.match_file(ancestor + "/"):
            return True
    return spec.match_file(name) or (is_dir and spec.match_file(name + "/"))


def repository_entries(tar_bytes: bytes, pepeignore: bytes | None) -> list[Entry]:
    """The tree of a ``git archive`` tar, cleaned and filtered by ``.pepeignore``."""
    spec = None
    if pepeignore is not None:
        spec = pathspec.GitIgnoreSpec.from_lines(pepeignore.decode("utf-8", "replace").splitlines())
    entries = []
    with tarfile.open(fileobj=io.BytesIO(tar_bytes)) as archive:
        for member in archive.getmembers():
            name = _safe_name(member.name)
            if name is None or name in GENERATED:
                continue
            if member.isdir():
                kind, data = "dir", b""
            elif member.isreg():
                kind, data = "file", archive.extractfile(member).read()
            elif member.issym() and _link_stays_inside(name, member.linkname):
                kind, data = "symlink", b""
            else:
                continue
            if _ignored(spec, name, kind == "dir"):
                continue
            entries.append(Entry(name, kind, data, member.mode & 0o777, int(member.mtime), member.linkname))
    return _with_parents(entries)


def _with_parents(entries: list[Entry]) -> list[Entry]:
    present = {e.name for e in entries}
    out = []
    for entry in entries:
        parts = entry.name.split("/")
        for depth in range(1, len(parts)):
            parent = "/".join(parts[:depth])
            if parent not in present:
                present.add(parent)
                out.append(Entry(parent, "dir", mode=0o755, mtime=entry.mtime))
        out.append(entry)
    return out


def firmware_entries(unit: Unit) -> list[Entry]:
    settings = get_settings()
    source = unit_source(unit)
    git, version = source.git, source.version
    schema_example = read_schema_example(git, version.commit)
    env = unit_env(unit, version.commit, read_env_example(git, version.commit))
    schema = build_schema(settings.PU_DOMAIN, unit, schema_example)
    now = int(time.time())
    generated = [Entry("env.json", "file", json.dumps(env, indent=4).encode(), mtime=now),
                 Entry("schema.json", "file", json.dumps(schema, indent=4).encode(), mtime=now)]
    if source.repo.is_compilable_repo:
        return generated
    return generated + repository_entries(git.tar(version.commit), git.read_file(version.commit, ".pepeignore"))


def to_tar(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        root = tarfile.TarInfo(".")
        root.type, root.mode, root.mtime = tarfile.DIRTYPE, 0o755, int(time.time())
        archive.addfile(root)
        for entry in entries:
            info = tarfile.TarInfo("./" + entry.name)
            info.mtime, info.mode = entry.mtime, entry.mode
            if entry.kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif entry.kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, entry.linkname
                archive.addfile(info)
            else:
                info.size = len(entry.data)
                archive.addfile(info, io.BytesIO(entry.data))
    return buffer.getvalue()


def to_zip(entries: list[Entry]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for entry in entries:
            stamp = time.gmtime(max(entry.mtime, 315532800))[:6]
            if entry.kind == "dir":
                info = zipfile.ZipInfo(entry.name + "/", stamp)
                info.external_attr = (0o40755 << 16) | 0x10
                archive.writestr(info, b"")
            elif entry.kind == "file":
                info = zipfile.ZipInfo(entry.name, stamp)
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = (0o100000 | entry.mode) << 16
                archive.writestr(info, entry.data)
            # zip has no portable symlinks: they are left out
    return buffer.getvalue()


def to_tgz(entries: list[Entry], wbits: int, level: int) -> bytes:
    packer = zlib.compressobj(level, zlib.DEFLATED, wbits)
    return packer.compress(to_tar(entries)) + packer.flush()


def firmware(agent: Agent, uuid, kind: str, wbits: int = 9, level: int = 9) -> tuple[bytes, str]:
    """(archive bytes, mimetype) of a unit's firmware: ``zip``, ``tar`` or ``tgz``."""
    if kind == "tgz":
        check_tgz_parameters(wbits, level)
    unit = get_unit_for_owner(agent, uuid)
    entries = firmware_entries(unit)
    if kind == "zip":
        return to_zip(entries), MIMETYPES[kind]
    if kind == "tar":
        return to_tar(entries), MIMETYPES[kind]
    return to_tgz(entries, wbits, level), MIMETYPES["tgz"]


# --- pushing versions ----------------------------------------------------------
def update_unit_firmware(unit: Unit) -> bool:
    """Re-sync the unit's nodes (and stored env) to its target, then send Update."""
    try:
        try:
            resync(unit)
            db.session.commit()
        except Exception:
            db.session.rollback()
            raise
        acl_generation.bump()
        sent = command_to_unit(unit, BackendTopicCommand.UPDATE)
    except Exception:
        figures.FIRMWARE_UPDATES.labels("failed").inc()
        raise
    figures.FIRMWARE_UPDATES.labels("sent" if sent else "unsent").inc()
    return sent


def version_moves(unit: Unit) -> bool:
    """Whether the unit runs something else than its target (a unit that never reported counts as moving)."""
    return unit.current_commit_version != unit_source(unit).version.commit


def update_units_of(repo_uuid) -> tuple[int, int]:
    """Every auto-updated unit of a repo whose version moves; one unit's failure never stops the others.

    A unit already on its target is left alone: no node sync, no env rewrite, no Update.
    A repo with a rollout policy starts a rollout instead when its target moved; the units of
    its unfinished rollout get Update from the rollout's stages only.
    """
    rollouts.start_if_moved(repo_uuid)
    staged = rollouts.managed_units(repo_uuid)
    uuids = db.session.execute(sa.select(Unit.uuid).where(
        Unit.repo_uuid == repo_uuid, Unit.is_auto_update_from_repo_unit.is_(True)).order_by(Unit.uuid)).scalars().all()
    done = failed = 0
    for uuid in uuids:
        unit = db.session.get(Unit, uuid)
        if unit is None or uuid in staged:
            continue
        try:
            if not version_moves(unit):
                continue
            update_unit_firmware(unit)
            done += 1
        except Exception as error:  # logged, and the next unit goes on
            db.session.rollback()
            failed += 1
            log.warning("firmware update of unit %s failed: %s", uuid, error)
    return done, failed


def update_repo_units_firmware(agent: Agent, repo_uuid) -> tuple[int, int]:
    access.require_user(agent)
    repo = get_or_not_found(Repo, repo_uuid)
    access.require_creator(agent, repo)
    return update_units_of(repo.uuid)


def update_all_auto_repos() -> tuple[int, int]:
    repos = db.session.execute(sa.select(Repo.uuid).where(Repo.is_auto_update_repo.is_(True))
                               .order_by(Repo.uuid)).scalars().all()
    done = failed = 0
    for repo_uuid in repos:
        d, f = update_units_of(repo_uuid)
        done, failed = done + d, failed + f
    return done, failed


def bulk_update(agent: Agent) -> threading.Thread:
    """Admin: update every auto-update repo's units in a background thread (returned)."""
    access.require_admin(agent)
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                done, failed = update_all_auto_repos()
                log.info("bulk update: %s units updated, %s failed", done, failed)
            finally:
                db.session.remove()

    thread = threading.Thread(target=run, name="pepeunit-bulk-update", daemon=True)
    thread.start()
    return thread
