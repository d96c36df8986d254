"""Release assets of an external repository, read from its platform's releases API.

The result is what ``repository_registry.releases_data`` stores (as JSON):
``{tag: [[asset name, download url], ...]}``.

- GitHub: ``GET {api}/repos/{owner}/{repo}/releases``; each asset gives
  ``(name, browser_download_url)``.
- GitLab: ``GET {scheme}://{repo host}/api/v4/projects/{url-encoded path}/releases``;
  each release gives its ``assets.sources`` as ``(format, url)`` then its
  ``assets.links`` as ``(name, url)``.

Every page is read (``Link: rel="next"``, or GitLab's ``X-Next-Page``); a next
page must stay on the API's own scheme and host, so a token never travels
elsewhere. Any failure (timeout, refused connection, rate limit, 4xx/5xx,
malformed JSON) raises a ``PepeunitError`` whose message is fit to store as the
registry's sync error; tokens travel in headers only and never appear in a message.
"""
from __future__ import annotations

import json
import time
from dataclasses import dataclass
from urllib.parse import quote, urlencode, urljoin, urlparse

import requests

from ..errors import GitPlatformClientError, JSONDecodeError_

PER_PAGE = 100  # the largest page both platforms serve
MAX_PAGES = 100  # 10 000 releases: far beyond any unit repository; stops a looping server
MAX_PAGE_BYTES = 16 * 1024 * 1024  # one page of 100 releases is well under 1 MB
TOTAL_TIMEOUTS = 10  # all pages together: at most this many ``timeout``s (the sync's locks outlive it)
INVALID_JSON = "Data releases for compile repo is invalid"
RATE_LIMIT = "Rate limit external API"
INVALID_CREDENTIALS = "Invalid Credentials"


@dataclass(frozen=True)
class ReleasesRequest:
    """Where and how to ask: the first page's URL and the headers every page carries."""
    platform: str  # "Github" or "Gitlab", for messages
    url: str
    headers: dict
    parse: object  # one page of JSON -> list of (tag, [(name, url), ...])


def github_request(repository_url: str, api_url: str, token: str | None) -> ReleasesRequest:
    """``token``: the registry's PAT (private entries) or the instance's own (public ones), if any."""
    parts = _path(repository_url).split("/")
    owner, repo = parts[-2:] if len(parts) >= 2 else ("", "")
    if not owner or not repo:
        raise GitPlatformClientError(f"Repository URL has no owner/repository path: {repository_url}")
    headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28",
               "User-Agent": "pepeunit-backend"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    url = f"{api_url.rstrip('/')}/repos/{quote(owner, safe='')}/{quote(repo, safe='')}/releases"
    return ReleasesRequest("Github", url, headers, _github_page)


def gitlab_request(repository_url: str, token: str | None) -> ReleasesRequest:
    """The API lives on the repository's own host (and scheme), as on any self-managed GitLab."""
    parsed = urlparse(repository_url)
    project = _path(repository_url)
    if not project:
        raise GitPlatformClientError(f"Repository URL has no project path: {repository_url}")
    headers = {"Accept": "application/json", "User-Agent": "pepeunit-backend"}
    if token:
        headers["PRIVATE-TOKEN"] = token
    url = f"{parsed.scheme}://{parsed.netloc}/api/v4/projects/{quote(project, safe='')}/releases"
    return ReleasesRequest("Gitlab", url, headers, _gitlab_page)


def fetch(request: ReleasesRequest, timeout: float) -> dict[str, list[list[str]]]:
    """Every release of every page, as ``{tag: [[name, url], ...]}``.

    ``timeout`` bounds each connect and read; a page takes at most ``2 * timeout`` and all
    pages together ``TOTAL_TIMEOUTS * timeout``.
    """
    origin = urlparse(request.url)[:2]
    deadline = time.monotonic() + TOTAL_TIMEOUTS * timeout
    url = f"{request.url}?{urlencode({'per_page': PER_PAGE, 'page': 1})}"
    releases: dict[str, list[list[str]]] = {}
    for _ in range(MAX_PAGES):
        response, body = _get(request, url, timeout, deadline)
        try:
            page = json.loads(body)
        except ValueError:
            raise JSONDecodeError_(INVALID_JSON) from None
        for tag, assets in request.parse(page):
            releases[tag] = [[name, link] for name, link in assets]
        url = _next_page(response, url)
        if url is None:
            return releases
        if urlparse(url)[:2] != origin:
            raise GitPlatformClientError(f"Releases API of {request.platform} sent a next page on another host")
    raise GitPlatformClientError(f"Releases API of {request.platform} has more than {MAX_PAGES} pages")


# --------------------------------------------------------------------------- internals
def _path(repository_url: str) -> str:
    path = urlparse(repository_url).path.strip("/")
    return path[:-4] if path.endswith(".git") else path


def _get(request: ReleasesRequest, url: str, timeout: float, deadline: float) -> tuple[requests.Response, bytes]:
    """One page: its response and body, read within ``2 * timeout`` and ``MAX_PAGE_BYTES`` in all."""
    too_slow = GitPlatformClientError(f"Releases API of {request.platform} did not answer within {timeout} s")
    over_budget = GitPlatformClientError(
        f"Releases API of {request.platform} did not send every page within {TOTAL_TIMEOUTS * timeout} s")
    if time.monotonic() > deadline:
        raise over_budget
    page_deadline = time.monotonic() + 2 * timeout  # a server trickling bytes still ends the sync
    if deadline < page_deadline:
        too_slow, page_deadline = over_budget, deadline
    try:
        with requests.get(url, headers=request.headers, timeout=timeout, allow_redirects=False,
                          stream=True) as response:
            _check_status(request, response)
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > MAX_PAGE_BYTES:
                    raise GitPlatformClientError(
                        f"Releases API of {request.platform} sent a page over {MAX_PAGE_BYTES} bytes")
                if time.monotonic() > page_deadline:
                    raise too_slow
    except requests.Timeout:
        raise too_slow from None
    except requests.RequestException:
        raise GitPlatformClientError(f"Releases API of {request.platform} is unreachable") from None
    return response, bytes(body)


def _check_status(request: ReleasesRequest, response: requests.Response) -> None:
    if response.status_code == 429 or (response.status_code == 403 and (
            response.headers.get("X-RateLimit-Remaining") == "0" or "Retry-After" in response.headers)):
        raise GitPlatformClientError(RATE_LIMIT)
    if response.status_code in (401, 403):
        raise GitPlatformClientError(INVALID_CREDENTIALS)
    if response.status_code != 200:
        raise GitPlatformClientError(
            f"Releases API of {request.platform} answered HTTP {response.status_code}")


def _next_page(response: requests.Response, current: str) -> str | None:
    link = response.links.get("next", {}).get("url")
    if link:
        return urljoin(current, link)
    following = response.headers.get("X-Next-Page", "").strip()
    if following:  # GitLab without a Link header: same query, next page number
        if not following.isdigit():
            raise JSONDecodeError_(INVALID_JSON)
        base = current.split("?", 1)[0]
        return f"{base}?{urlencode({'per_page': PER_PAGE, 'page': int(following)})}"
    return None


def _text(value) -> str:
    if not isinstance(value, str):
        raise JSONDecodeError_(INVALID_JSON)
    return value


def _github_page(page) -> list:
    if not isinstance(page, list):
        raise JSONDecodeError_(INVALID_JSON)
    out = []
    for release in page:
        if not isinstance(release, dict) or not isinstance(release.get("assets"), list):
            raise JSONDecodeError_(INVALID_JSON)
        assets = []
        for asset in release["assets"]:
            if not isinstance(asset, dict):
                raise JSONDecodeError_(INVALID_JSON)
            assets.append((_text(asset.get("name")), _text(asset.get("browser_download_url"))))
        out.append((_text(release.get("tag_name")), assets))
    return out


def _gitlab_page(page) -> list:
    if not isinstance(page, list):
        raise JSONDecodeError_(INVALID_JSON)
    out = []
    for release in page:
        assets = release.get("assets") if isinstance(release, dict) else None
        if not isinstance(assets, dict):
            raise JSONDecodeError_(INVALID_JSON)
        sources, links = assets.get("sources", []), assets.get("links", [])
        if not isinstance(sources, list) or not isinstance(links, list):
            raise JSONDecodeError_(INVALID_JSON)
        pairs = []
        for source in sources:
            if not isinstance(source, dict):
                raise JSONDecodeError_(INVALID_JSON)
            pairs.append((_text(source.get("format")), _text(source.get("url"))))
        for link in links:
            if not isinstance(link, dict):
                raise JSONDecodeError_(INVALID_JSON)
            pairs.append((_text(link.get("name")), _text(link.get("url"))))
        out.append((_text(release.get("tag_name")), pairs))
    return out
