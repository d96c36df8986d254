"""The releases API client against the GitHub / GitLab stand-in (tests/releases_standin.py)."""
import time

import pytest

from pepeunit.errors import GitPlatformClientError, JSONDecodeError_
from pepeunit.git import platform_releases as releases
from tests.git_server import make_unit_repo, unreachable_url

ASSETS = {f"v1.{n}.0": [(f"esp32-{n}.bin", f"https://files.example/{n}/esp32.bin"),
                        (f"rp2040-{n}.uf2", f"https://files.example/{n}/rp2040.uf2")] for n in range(5)}


def published(server, private=False):
    repo = make_unit_repo(server, private=private)
    for tag, assets in ASSETS.items():
        server.releases.publish(repo, tag, assets)
    return repo


def fetch_github(server, repo, token=None, timeout=5):
    return releases.fetch(releases.github_request(repo.url, server.releases.github_url, token), timeout)


def fetch_gitlab(repo, token=None, timeout=5):
    return releases.fetch(releases.gitlab_request(repo.url, token), timeout)


def expected_gitlab(repo):
    web = repo.url[:-4]
    return {tag: [[fmt, f"{web}/-/archive/{tag}/{repo.name}-{tag}.{fmt}"] for fmt in ("zip", "tar.gz", "tar.bz2", "tar")]
            + [[n, u] for n, u in assets] for tag, assets in ASSETS.items()}


def calls_to(server, repo, platform):
    return [c for c in server.releases.calls_for(platform) if repo.name in c["path"]]


def test_github_reads_every_page_with_the_documented_headers(git_server):
    repo = published(git_server)
    assert fetch_github(git_server, repo) == {tag: [[n, u] for n, u in a] for tag, a in ASSETS.items()}
    calls = calls_to(git_server, repo, "Github")
    assert len(calls) == 3  # 5 releases, the stand-in serves at most 2 per page
    assert [c["query"] for c in calls] == ["per_page=100&page=1", "per_page=100&page=2", "per_page=100&page=3"]
    for call in calls:
        assert call["path"] == f"/github-api/repos/public/{repo.name}/releases"
        assert call["headers"]["Accept"] == "application/vnd.github+json"
        assert call["headers"]["User-Agent"] and "Authorization" not in call["headers"]


def test_github_private_needs_its_token(git_server):
    repo = published(git_server, private=True)
    assert len(fetch_github(git_server, repo, git_server.password)) == 5
    assert {c["headers"]["Authorization"] for c in calls_to(git_server, repo, "Github")} == {
        f"Bearer {git_server.password}"}
    with pytest.raises(GitPlatformClientError) as bad:
        fetch_github(git_server, repo, "not-the-token")
    assert bad.value.message == "422: 14: Git Platform Client Error: Invalid Credentials"
    with pytest.raises(GitPlatformClientError) as hidden:  # GitHub answers 404 for a private repo without a token
        fetch_github(git_server, repo)
    assert hidden.value.message == "422: 14: Git Platform Client Error: Releases API of Github answered HTTP 404"


def test_gitlab_sources_then_links_on_every_page(git_server):
    repo = published(git_server)
    assert fetch_gitlab(repo) == expected_gitlab(repo)
    calls = calls_to(git_server, repo, "Gitlab")
    assert [c["path"] for c in calls] == [f"/api/v4/projects/public%2F{repo.name}/releases"] * 3
    assert all("PRIVATE-TOKEN" not in c["headers"] for c in calls)


def test_gitlab_next_page_header_without_link(git_server):
    repo = published(git_server)
    git_server.releases.gitlab_link_header = False
    try:
        assert fetch_gitlab(repo) == expected_gitlab(repo)
    finally:
        git_server.releases.gitlab_link_header = True
    assert len(calls_to(git_server, repo, "Gitlab")) == 3


def test_gitlab_private_uses_private_token_header(git_server):
    repo = published(git_server, private=True)
    assert fetch_gitlab(repo, git_server.password) == expected_gitlab(repo)
    assert {c["headers"]["PRIVATE-TOKEN"] for c in calls_to(git_server, repo, "Gitlab")} == {git_server.password}
    with pytest.raises(GitPlatformClientError, match="Invalid Credentials"):
        fetch_gitlab(repo, "wrong")


def test_no_releases_is_an_empty_mapping(git_server):
    repo = make_unit_repo(git_server)
    assert fetch_github(git_server, repo) == {} and fetch_gitlab(repo) == {}


@pytest.mark.parametrize(("mode", "error", "text"), [
    ("ratelimit", GitPlatformClientError, "Rate limit external API"),
    ("error500", GitPlatformClientError, "Releases API of {platform} answered HTTP 500"),
    ("malformed", JSONDecodeError_, "Data releases for compile repo is invalid"),
    ("wrong-shape", JSONDecodeError_, "Data releases for compile repo is invalid"),
    ("foreign-next", GitPlatformClientError, "Releases API of {platform} sent a next page on another host"),
])
@pytest.mark.parametrize("platform", ["Github", "Gitlab"])
def test_failures_raise_a_storable_error(git_server, platform, mode, error, text):
    repo = published(git_server)
    git_server.releases.modes[(False, repo.name)] = mode
    with pytest.raises(error) as raised:
        fetch_github(git_server, repo) if platform == "Github" else fetch_gitlab(repo)
    assert raised.value.text == text.format(platform=platform)


def test_a_silent_api_times_out(git_server):
    repo = published(git_server)
    git_server.releases.modes[(False, repo.name)] = "slow"
    git_server.releases.slow_seconds = 2
    with pytest.raises(GitPlatformClientError) as raised:
        fetch_gitlab(repo, timeout=0.5)
    assert raised.value.text == "Releases API of Gitlab did not answer within 0.5 s"


def test_a_trickling_page_ends_within_twice_the_timeout(git_server):
    repo = published(git_server)
    git_server.releases.modes[(False, repo.name)] = "trickle"  # 6 bytes, 0.3 s apart: each read is in time
    started = time.monotonic()
    with pytest.raises(GitPlatformClientError, match="did not answer within 0.5 s"):
        fetch_github(git_server, repo, timeout=0.5)
    assert time.monotonic() - started < 1.6


def test_all_pages_share_one_time_budget(git_server, monkeypatch):
    repo = published(git_server)  # 3 pages, each 0.3 s late: the budget of 1 x 0.5 s ends after page 2
    git_server.releases.modes[(False, repo.name)] = "slow-pages"
    monkeypatch.setattr(releases, "TOTAL_TIMEOUTS", 1)
    with pytest.raises(GitPlatformClientError) as raised:
        fetch_github(git_server, repo, timeout=0.5)
    assert raised.value.text == "Releases API of Github did not send every page within 0.5 s"
    assert len(calls_to(git_server, repo, "Github")) == 2


def test_an_oversized_page_is_refused(git_server, monkeypatch):
    repo = published(git_server)
    git_server.releases.modes[(False, repo.name)] = "huge"
    assert fetch_gitlab(repo) == {}  # 64 KB of whitespace: a valid empty page under the real limit
    monkeypatch.setattr(releases, "MAX_PAGE_BYTES", 16 * 1024)
    with pytest.raises(GitPlatformClientError, match="Releases API of Gitlab sent a page over 16384 bytes"):
        fetch_gitlab(repo)


def test_an_unreachable_host_and_a_url_without_owner(git_server):
    with pytest.raises(GitPlatformClientError, match="Releases API of Gitlab is unreachable"):
        releases.fetch(releases.gitlab_request(unreachable_url(), None), 2)
    with pytest.raises(GitPlatformClientError, match="no owner/repository path"):
        releases.github_request("https://github.com/only.git", git_server.releases.github_url, None)
