"""Repository registry: one bare clone per external git URL, shared by every repo over it.

- A registry row exists only together with its clone: create clones first (into
  a staging folder, moved in place atomically), checks the size, then inserts;
  any failure removes the clone and inserts nothing.
- Private entries are read with per-user personal access tokens, stored
  AES-GCM-encrypted (``services.crypto``) and handed to git through the
  environment only. Tokens are returned to their owner alone and never logged.
- Fetches, clones and deletion of one entry are serialised by a Redis lock, so
  concurrent requests (in any worker) never race on one clone; readers are safe
  at any time because the clone is bare and read through git objects.
"""
from __future__ import annotations

import hashlib
import logging
import uuid as uuid_module
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlparse

import sqlalchemy as sa
from redis.exceptions import LockError
from sqlalchemy.exc import IntegrityError

from ..errors import (
    CHILDREN_EXIST,
    GitRepoError,
    NoAccessError,
    PepeunitError,
    RepositoryRegistryError,
    ValidationError,
)
from ..extensions import db, get_redis, get_settings
from ..git import GitCommandFailed, LocalRepository
from ..git.local_repository import GIT_TIMEOUT
from ..models import (
    AgentType,
    CredentialStatus,
    GitPlatform,
    OrderByDate,
    Repo,
    RepositoryRegistry,
    RepositoryRegistryCredentials,
    RepositoryRegistryStatus,
)
from ..models.columns import utcnow
from . import access, registry_releases
from . import registry_credentials as credentials_
from .agents import Agent
from .listing import Page, fetch_page, order, search
from .lookup import get_or_not_found
from .registry_credentials import check_access  # noqa: F401 (part of this module's API)
from .target_version import branch_commits as _branch_commits
from .target_version import local_repository

log = logging.getLogger(__name__)

URL_NOT_CORRECT = ("Repo URL is not correct check the .git at the end of the link "
                   "and the correctness of https / http")
CLONE_FAILED = "No valid repo_url or credentials"
DEFAULT_COMMITS_LIMIT = 10
_LOCK_KEY = "pepeunit:registry-lock:{}"


@dataclass
class RegistryFilter:
    page: Page = field(default_factory=Page)
    uuids: list | None = None
    creator_uuid: uuid_module.UUID | None = None
    search_string: str | None = None
    is_public_repository: bool | None = None
    order_by_create_date: OrderByDate | None = OrderByDate.desc
    order_by_last_update: OrderByDate | None = OrderByDate.desc


# --------------------------------------------------------------------------- checks
def _check_url(url) -> str:
    parsed = urlparse(url) if isinstance(url, str) else None
    if (parsed is None or parsed.scheme not in ("http", "https") or not parsed.hostname
            or not url.endswith(".git") or parsed.username or parsed.password
            or len(url) > 2048 or any(c.isspace() for c in url)):
        raise RepositoryRegistryError(URL_NOT_CORRECT)
    return url


def _platform(value) -> GitPlatform:
    known = {p.value: p for p in GitPlatform}
    platform = value if isinstance(value, GitPlatform) else known.get(value)
    if platform is None:
        raise RepositoryRegistryError(f"Platform {value} is not supported - available: Gitlab, Github")
    return platform


def _size_check(git: LocalRepository) -> int:
    size = git.size_bytes()
    maximum = get_settings().PU_MAX_EXTERNAL_REPO_SIZE
    if size > maximum * 1024 * 1024:
        raise GitRepoError(f"No valid external repo size {round(size / 1024 / 1024, 2)} MB, max {maximum} MB")
    return size


@contextmanager
def _locked(name: str):
    """Serialise git work on one registry entry across threads, workers and hosts."""
    lock = get_redis().lock(_LOCK_KEY.format(name), timeout=2 * GIT_TIMEOUT + 60, blocking_timeout=2 * GIT_TIMEOUT)
    try:
        acquired = lock.acquire()
    except LockError:
        acquired = False
    if not acquired:
        raise RepositoryRegistryError("Sync is not available, another sync of this repository is running")
    try:
        yield
    finally:
        try:
            lock.release()
        except LockError:
            pass


# ---------------------------------------------------------------------------- reading
def get(agent: Agent, uuid) -> RepositoryRegistry:
    access.require(agent, AgentType.ANONYMOUS, AgentType.USER)
    registry = get_or_not_found(RepositoryRegistry, uuid)
    access.require_registry_visible(agent, registry)
    return registry


def may_read_content(agent: Agent, registry: RepositoryRegistry) -> bool:
    """Branches and commits of a private entry are its owners' code history: only callers
    that may build on it (valid credentials, ``check_access``) or the Backend read them."""
    if registry.is_public_repository or agent.type is AgentType.BACKEND:
        return True
    try:
        check_access(agent, registry)
    except NoAccessError:
        return False
    return True


def visible_branches(agent: Agent, registry: RepositoryRegistry) -> list[str]:
    """``branches`` as shown to ``agent``: ``[]`` for a private entry it has no access to."""
    return branches(registry) if may_read_content(agent, registry) else []


def branches(registry: RepositoryRegistry) -> list[str]:
    """Branch names of the local clone; ``[]`` if the clone is missing or unreadable."""
    try:
        git = local_repository(registry)
        return git.branches() if git.exists() else []
    except (GitCommandFailed, OSError):
        return []


def list_(agent: Agent, filters: RegistryFilter) -> tuple[int, list[RepositoryRegistry]]:
    access.require(agent, AgentType.ANONYMOUS, AgentType.USER)
    # v1.2 forces anonymous callers to ``is_public_repository=true`` (their filter is replaced, not combined)
    is_public = None if agent.is_anonymous else filters.is_public_repository
    query = sa.select(RepositoryRegistry).where(access.visible_registries(agent, RepositoryRegistry))
    if filters.uuids:
        query = query.where(RepositoryRegistry.uuid.in_(filters.uuids))
    if filters.creator_uuid is not None:
        query = query.where(RepositoryRegistry.creator_uuid == filters.creator_uuid)
    if is_public is not None:
        query = query.where(RepositoryRegistry.is_public_repository.is_(is_public))
    query = search(query, filters.search_string, [RepositoryRegistry.repository_url])
    query = order(query, (RepositoryRegistry.create_datetime, filters.order_by_create_date),
                  (RepositoryRegistry.last_update_datetime, filters.order_by_last_update))
    return fetch_page(query, filters.page, RepositoryRegistry.uuid)


def branch_commits(agent: Agent, uuid, repo_branch: str, only_tag: bool = False,
                   offset: int | None = None, limit: int | None = None):
    """Commits of a branch, newest first, with tags; ``offset`` 0 and ``limit`` 10 by default."""
    access.require_user(agent)
    page = Page(offset=offset, limit=limit).check()
    registry = get_or_not_found(RepositoryRegistry, uuid)
    check_access(agent, registry)  # v1.2 showed a private entry's history to every user
    commits = _branch_commits(local_repository(registry), repo_branch)
    if only_tag:
        commits = [c for c in commits if c.tag]
    start = page.offset or 0
    size = DEFAULT_COMMITS_LIMIT if page.limit is None else page.limit
    return commits[start:start + size]


def get_credentials(agent: Agent, uuid) -> dict | None:
    """The caller's own credentials for a private entry (nobody else's), or ``None``."""
    access.require_user(agent)
    registry = get_or_not_found(RepositoryRegistry, uuid)
    if registry.is_public_repository:
        raise RepositoryRegistryError("This Repository is Public")
    row = credentials_.row_of(registry.uuid, agent.uuid)
    if row is None:
        return None
    username, token = credentials_.open_(row)
    return {"credentials": {"username": username, "pat_token": token}, "status": row.status}


# ---------------------------------------------------------------------------- writing
def create(agent: Agent, platform, repository_url: str, is_public_repository: bool,
           credentials: dict | None = None) -> RepositoryRegistry:
    access.require_user(agent)
    url = _check_url(repository_url)
    platform = _platform(platform)
    secret = None if is_public_repository else credentials_.validate(credentials)

    def url_taken() -> bool:
        return db.session.execute(
            sa.select(RepositoryRegistry.uuid).where(RepositoryRegistry.repository_url == url)
        ).first() is not None

    if url_taken():
        raise RepositoryRegistryError(f'Url "{url}" is exist')
    with _locked("url-" + hashlib.sha256(url.encode()).hexdigest()):
        if url_taken():
            raise RepositoryRegistryError(f'Url "{url}" is exist')
        registry = RepositoryRegistry(uuid=uuid_module.uuid4(), platform=platform, repository_url=url,
                                      is_public_repository=bool(is_public_repository), creator_uuid=agent.uuid)
        git = local_repository(registry)
        db.session.commit()  # no transaction stays open while git talks to the network
        try:
            try:
                LocalRepository.clone(url, git.path, secret)
            except GitCommandFailed as exc:
                log.info("clone of a new registry entry failed: %s", exc)
                raise GitRepoError(CLONE_FAILED) from None
            now = utcnow()
            registry.local_repository_size = _size_check(git)
            releases_error = registry_releases.refresh(registry, secret)  # a failure keeps the entry
            registry.sync_status = RepositoryRegistryStatus.ERROR if releases_error else RepositoryRegistryStatus.UPDATED
            registry.sync_error = releases_error.message if releases_error else None
            registry.sync_last_datetime = now
            registry.create_datetime = registry.last_update_datetime = now
            db.session.add(registry)
            if secret:  # the clone just succeeded with them: a live check passed
                db.session.add(RepositoryRegistryCredentials(
                    repository_registry_uuid=registry.uuid, user_uuid=agent.uuid,
                    cipher_credentials=credentials_.seal(*secret), status=CredentialStatus.VALID))
            db.session.commit()
        except IntegrityError:
            db.session.rollback()
            git.delete()
            raise RepositoryRegistryError(f'Url "{url}" is exist') from None
        except BaseException:
            db.session.rollback()
            git.delete()
            raise
    return registry


def set_credentials(agent: Agent, uuid, username: str, pat_token: str) -> CredentialStatus:
    """Store the caller's token for a private entry after a live check (status Valid/Error)."""
    access.require_user(agent)
    registry = get_or_not_found(RepositoryRegistry, uuid)
    if registry.is_public_repository:
        raise RepositoryRegistryError("This Repository is Public")
    secret = credentials_.validate({"username": username, "pat_token": pat_token})
    status = credentials_.probe(registry.repository_url, secret)
    for _ in range(2):  # one retry if a concurrent call inserted the row first
        row = credentials_.row_of(registry.uuid, agent.uuid)
        if row is None:
            row = RepositoryRegistryCredentials(repository_registry_uuid=registry.uuid, user_uuid=agent.uuid)
            db.session.add(row)
        row.cipher_credentials, row.status = credentials_.seal(*secret), status
        try:
            db.session.commit()
            return status
        except IntegrityError:
            db.session.rollback()
    raise RepositoryRegistryError("Credentials is not valid")


def _record(registry: RepositoryRegistry, error: PepeunitError | None, size: int | None = None) -> None:
    registry.sync_status = RepositoryRegistryStatus.ERROR if error else RepositoryRegistryStatus.UPDATED
    registry.sync_error = error.message if error else None
    if size is not None:
        registry.local_repository_size = size
        registry.last_update_datetime = utcnow()
    db.session.commit()


def _sync(registry: RepositoryRegistry, candidates: list) -> PepeunitError | None:
    """Fetch (or clone, if missing) the entry with the first working credentials; record the outcome."""
    registry.sync_status, registry.sync_last_datetime = RepositoryRegistryStatus.PROCESSING, utcnow()
    db.session.commit()
    error: PepeunitError | None = None
    size = used = None
    try:
        if not candidates:
            raise RepositoryRegistryError("No valid credentials in credential list")
        with _locked(str(registry.uuid)):
            git = local_repository(registry)
            for secret in candidates:
                try:
                    if git.exists():
                        git.fetch(registry.repository_url, secret)
                    else:
                        LocalRepository.clone(registry.repository_url, git.path, secret)
                    error, used = None, secret
                    break
                except GitCommandFailed as exc:
                    log.info("sync of registry %s failed: %s", registry.uuid, exc)
                    error = GitRepoError(CLONE_FAILED)
            if error is None:
                size = git.size_bytes()
                _size_check(git)  # an entry grown past the limit keeps its clone but reports the error
        if error is None:  # outside the lock: the releases API never touches the clone
            error = registry_releases.refresh(registry, used)
    except PepeunitError as exc:
        error = exc
    _record(registry, error, size)
    return error


def _refuse_running_sync(registry: RepositoryRegistry) -> None:
    interval = get_settings().PU_MIN_INTERVAL_SYNC_REPOSITORY
    if registry.sync_status is RepositoryRegistryStatus.PROCESSING and registry.sync_last_datetime:
        delta = int((utcnow() - registry.sync_last_datetime).total_seconds())
        if delta < interval:
            raise RepositoryRegistryError(
                f"Sync is not available, last sync was {delta} s ago, but it should have taken at least {interval} s"
            )


def update_local_repository(agent: Agent, uuid) -> RepositoryRegistry:
    """Fetch the remote into the clone now; a failure is recorded on the entry and raised."""
    access.require_user(agent)
    registry = get_or_not_found(RepositoryRegistry, uuid)
    secret = check_access(agent, registry)
    _refuse_running_sync(registry)
    error = _sync(registry, [secret])
    if error is not None:
        raise error
    return registry


def sync_all(only_missing: bool = False) -> dict:
    """Sync every entry (the hourly job); never raises. Returns ``{uuid: status value}``."""
    result = {}
    for registry_uuid in db.session.execute(sa.select(RepositoryRegistry.uuid)).scalars().all():
        registry = db.session.get(RepositoryRegistry, registry_uuid)
        if registry is None or (only_missing and local_repository(registry).exists()):
            continue
        try:
            _sync(registry, credentials_.candidates(registry))
        except Exception:  # one broken entry must not stop the others
            db.session.rollback()
            log.exception("sync of registry %s failed unexpectedly", registry_uuid)
        result[str(registry_uuid)] = getattr(registry.sync_status, "value", None)
    return result


def backend_sync_missing(agent: Agent) -> dict:
    """Backend-only: clone every entry whose clone directory is missing."""
    access.require(agent, AgentType.BACKEND)
    return sync_all(only_missing=True)


def delete(agent: Agent, uuid) -> None:
    access.require_user(agent)
    registry = get_or_not_found(RepositoryRegistry, uuid)
    access.require_creator(agent, registry)
    with _locked(str(registry.uuid)):
        used = db.session.execute(sa.select(Repo.uuid).where(Repo.repository_registry_uuid == registry.uuid)).first()
        if used is not None:
            raise ValidationError(CHILDREN_EXIST)
        git = local_repository(registry)
        db.session.delete(registry)
        try:
            db.session.commit()
        except IntegrityError:  # a repo was created over it meanwhile (FK RESTRICT)
            db.session.rollback()
            raise ValidationError(CHILDREN_EXIST) from None
        git.delete()
