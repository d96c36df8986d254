"""Release assets of a registry entry (``releases_data``), read again at every sync.

Compilable repos send their units a firmware binary from these assets (see
``unit_commands.firmware_link``); nothing is compiled here. A failed read keeps
the previous ``releases_data`` and is reported as the sync's error: the clone
that was just fetched stays.
"""
from __future__ import annotations

import json
import logging
from urllib.parse import urlparse

from ..errors import PepeunitError
from ..extensions import get_settings
from ..git import platform_releases
from ..models import GitPlatform, RepositoryRegistry

log = logging.getLogger(__name__)


def read(platform: GitPlatform, repository_url: str, credentials: tuple[str, str] | None) -> str:
    """``releases_data`` as JSON text; ``credentials``: the (username, PAT) git used, for a private entry."""
    settings = get_settings()
    token = credentials[1] if credentials else None
    if platform is GitPlatform.GITHUB:
        request = platform_releases.github_request(repository_url, settings.PU_GITHUB_API_URL,
                                                   token or settings.PU_GITHUB_TOKEN_PAT or None)
    else:
        request = platform_releases.gitlab_request(repository_url, token)
    return json.dumps(platform_releases.fetch(request, settings.PU_RELEASES_API_TIMEOUT_SECONDS))


def refresh(registry: RepositoryRegistry, credentials: tuple[str, str] | None) -> PepeunitError | None:
    """Store the entry's releases; on failure leave them as they were and return the error."""
    if urlparse(registry.repository_url).scheme not in ("http", "https"):
        return None  # only a hosted repository has a releases API (local file:// clones in tests)
    try:
        registry.releases_data = read(registry.platform, registry.repository_url, credentials)
    except PepeunitError as error:
        log.info("releases of registry %s not read: %s", registry.uuid, error.message)
        return error
    return None
