"""LocalRepository against real repositories made by the test (file:// remotes)."""
import io
import tarfile
import threading

import pytest

from pepeunit.git import GitCommandFailed, LocalRepository

from ..helpers import git, new_work_repo


@pytest.fixture
def upstream(tmp_path):
    work = new_work_repo(tmp_path / "upstream")
    (work / "a.txt").write_text("one")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "first")
    git(work, "tag", "v0.1")
    (work / "a.txt").write_text("two")
    git(work, "commit", "-q", "-am", "second")
    git(work, "tag", "-a", "v0.2", "-m", "annotated")
    git(work, "checkout", "-q", "-b", "dev")
    (work / "b.txt").write_text("dev only")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "dev work")
    git(work, "checkout", "-q", "main")
    return work


def test_clone_reads_branches_commits_tags_and_files(upstream, tmp_path):
    repo = LocalRepository.clone(f"file://{upstream}", tmp_path / "clone")
    assert repo.exists() and repo.branches() == ["dev", "main"]
    commits = repo.commits("main")
    assert [c.summary for c in commits] == ["second", "first"]
    assert [c.tag for c in commits] == ["v0.2", "v0.1"]
    assert [c.summary for c in repo.commits("dev")][0] == "dev work"
    head = commits[0].commit
    assert repo.read_file(head, "a.txt") == b"two"
    assert repo.read_file(commits[1].commit, "a.txt") == b"one"
    assert repo.read_file(head, "b.txt") is None
    assert repo.is_commit_in_branch(repo.commits("dev")[0].commit, "dev")
    assert not repo.is_commit_in_branch(repo.commits("dev")[0].commit, "main")
    assert not repo.is_commit_in_branch("not-a-sha", "main")
    names = tarfile.open(fileobj=io.BytesIO(repo.tar(head))).getnames()
    assert names == ["a.txt"]


def test_fetch_sees_pushes_and_deleted_branches(upstream, tmp_path):
    repo = LocalRepository.clone(f"file://{upstream}", tmp_path / "clone")
    (upstream / "a.txt").write_text("three")
    git(upstream, "commit", "-q", "-am", "third")
    git(upstream, "branch", "-D", "dev")
    repo.fetch(f"file://{upstream}")
    assert repo.commits("main")[0].summary == "third"
    assert repo.branches() == ["main"]


def test_failed_clone_leaves_nothing(tmp_path):
    with pytest.raises(GitCommandFailed):
        LocalRepository.clone(f"file://{tmp_path}/missing", tmp_path / "clone")
    assert not (tmp_path / "clone").exists()
    assert list(tmp_path.iterdir()) == []


def test_reads_during_fetch_are_safe(upstream, tmp_path):
    repo = LocalRepository.clone(f"file://{upstream}", tmp_path / "clone")
    head = repo.commits("main")[0].commit
    errors = []

    def reader():
        for _ in range(20):
            try:
                assert repo.read_file(head, "a.txt") == b"two"
            except Exception as exc:  # collected and asserted below
                errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(4)]
    for t in threads:
        t.start()
    for i in range(5):
        (upstream / "a.txt").write_text(f"v{i}")
        git(upstream, "commit", "-q", "-am", f"c{i}")
        repo.fetch(f"file://{upstream}")
    for t in threads:
        t.join()
    assert errors == []
