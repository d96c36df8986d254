"""Git plumbing: local bare clones of external repositories, read without a work tree."""
from .local_repository import Commit, GitCommandFailed, LocalRepository

__all__ = ["Commit", "GitCommandFailed", "LocalRepository"]
