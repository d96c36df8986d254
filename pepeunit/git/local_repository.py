"""A bare clone of an external repository, read at any commit without checking out.

Every read (``git show``, ``git archive``, ``rev-list``) works on immutable
objects, so any number of requests can read one clone while another fetches
into it. Credentials are passed through the environment of the git process
(an ``http.extraHeader``), never written into the clone's config, a URL or a log.
"""
from __future__ import annotations

import base64
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

GIT_TIMEOUT = 300  # seconds for network operations
SHA_LENGTH = 40


class GitCommandFailed(RuntimeError):
    """A git command failed; ``stderr`` holds git's words with any secret removed."""

    def __init__(self, args: list[str], stderr: str):
        self.stderr = stderr.strip()
        super().__init__(f"git {' '.join(args[:2])} failed: {self.stderr}")


@dataclass(frozen=True)
class Commit:
    commit: str
    summary: str
    tag: str | None = None


def _auth_env(credentials: tuple[str, str] | None) -> dict:
    env = {
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_ASKPASS": "/bin/false",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_CONFIG_GLOBAL": os.devnull,
        "LC_ALL": "C",
    }
    if credentials:
        token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode()
        env.update(
            GIT_CONFIG_COUNT="1",
            GIT_CONFIG_KEY_0="http.extraHeader",
            GIT_CONFIG_VALUE_0=f"Authorization: Basic {token}",
        )
    return env


def _run(args: list[str], cwd: Path | None = None, credentials=None, timeout: int = 60,
         binary: bool = False, secrets: tuple[str, ...] = ()) -> bytes | str:
    env = {**os.environ, **_auth_env(credentials)}
    try:
        done = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise GitCommandFailed(args, f"timed out after {timeout} s") from None
    if done.returncode != 0:
        stderr = done.stderr.decode("utf-8", "replace")
        for secret in secrets:
            if secret:
                stderr = stderr.replace(secret, "***")
        raise GitCommandFailed(args, stderr)
    return done.stdout if binary else done.stdout.decode("utf-8", "replace")


class LocalRepository:
    def __init__(self, path: str | os.PathLike):
        self.path = Path(path)

    # --- network ------------------------------------------------------------
    @classmethod
    def clone(cls, url: str, path: str | os.PathLike, credentials: tuple[str, str] | None = None,
              timeout: int = GIT_TIMEOUT) -> "LocalRepository":
        """Clone ``url`` as a bare repository at ``path``; nothing is left behind on failure."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=".clone-", dir=target.parent))
        secrets = credentials or ()
        try:
            _run(["clone", "--bare", "--quiet", url, str(staging / "repo.git")],
                 credentials=credentials, timeout=timeout, secrets=secrets)
            repo = cls(staging / "repo.git")
            # Keep remote branches as local heads and follow tags, pruning what upstream deleted.
            _run(["config", "remote.origin.fetch", "+refs/heads/*:refs/heads/*"], cwd=repo.path)
            if target.exists():
                shutil.rmtree(target)
            os.replace(repo.path, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
        return cls(target)

    def fetch(self, url: str, credentials: tuple[str, str] | None = None, timeout: int = GIT_TIMEOUT) -> None:
        _run(["fetch", "--quiet", "--prune", "--prune-tags", "--force", url,
              "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*"],
             cwd=self.path, credentials=credentials, timeout=timeout, secrets=credentials or ())

    @staticmethod
    def probe(url: str, credentials: tuple[str, str] | None = None, timeout: int = 60) -> list[str]:
        """``git ls-remote --heads``: checks that ``url`` answers with these credentials.

        Returns the remote branch names; raises ``GitCommandFailed`` when the
        remote is unreachable or refuses the credentials.
        """
        out = _run(["ls-remote", "--heads", url], credentials=credentials, timeout=timeout,
                   secrets=credentials or ())
        return sorted(line.split("refs/heads/", 1)[1] for line in out.splitlines() if "refs/heads/" in line)

    # --- reading --------------------------------------------------------------
    def exists(self) -> bool:
        return (self.path / "HEAD").is_file()

    def size_bytes(self) -> int:
        return sum(f.stat().st_size for f in self.path.rglob("*") if f.is_file())

    def delete(self) -> None:
        shutil.rmtree(self.path, ignore_errors=True)

    def branches(self) -> list[str]:
        out = _run(["for-each-ref", "--format=%(refname:short)", "refs/heads/"], cwd=self.path)
        return sorted(line for line in out.splitlines() if line)

    def tags_by_commit(self) -> dict[str, list[str]]:
        """commit sha → its tag names (annotated tags resolved to their commit), sorted."""
        out = _run(["for-each-ref", "--format=%(objectname) %(*objectname) %(refname:short)", "refs/tags/"],
                   cwd=self.path)
        tags: dict[str, list[str]] = {}
        for line in out.splitlines():
            parts = line.split(" ")
            if len(parts) == 3:
                sha = parts[1] or parts[0]
                tags.setdefault(sha, []).append(parts[2])
        return {sha: sorted(names) for sha, names in tags.items()}

    def commits(self, branch: str) -> list[Commit]:
        """Commits reachable from ``branch``, newest first, each with its first tag (alphabetically)."""
        out = _run(["log", "--format=%H%x00%s", f"refs/heads/{branch}", "--"], cwd=self.path)
        tags = self.tags_by_commit()
        result = []
        for line in out.splitlines():
            sha, _, summary = line.partition("\x00")
            names = tags.get(sha)
            result.append(Commit(sha, summary, names[0] if names else None))
        return result

    def is_commit_in_branch(self, commit: str, branch: str) -> bool:
        if len(commit) != SHA_LENGTH or not all(c in "0123456789abcdef" for c in commit):
            return False
        try:
            _run(["merge-base", "--is-ancestor", commit, f"refs/heads/{branch}"], cwd=self.path)
            return True
        except GitCommandFailed:
            return False

    def read_file(self, commit: str, name: str) -> bytes | None:
        """Contents of ``name`` at ``commit``, or ``None`` if the file is not there."""
        try:
            return _run(["cat-file", "blob", f"{commit}:{name}"], cwd=self.path, binary=True)
        except GitCommandFailed:
            return None

    def tar(self, commit: str) -> bytes:
        """The tree at ``commit`` as an uncompressed tar (paths relative to the repository root)."""
        return _run(["archive", "--format=tar", commit], cwd=self.path, binary=True, timeout=GIT_TIMEOUT)
