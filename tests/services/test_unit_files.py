"""schema_example.json / env_example.json checks at real commits of a real repository."""
import pytest

from pepeunit.errors import GitRepoError, JSONDecodeError_
from pepeunit.git import LocalRepository
from pepeunit.services import unit_files

from ..git_server import VALID_ENV, VALID_SCHEMA, make_unit_repo


@pytest.fixture
def cloned(git_server, tmp_path):
    upstream = make_unit_repo(git_server)
    return upstream, LocalRepository.clone(upstream.url, tmp_path / "clone")


def message(call, *args):
    with pytest.raises((GitRepoError, JSONDecodeError_)) as caught:
        call(*args)
    return caught.value.message


def test_valid_files_at_a_commit(cloned):
    upstream, git = cloned
    schema, env = unit_files.check_unit_files(git, upstream.commits["c1"])
    assert schema == VALID_SCHEMA and env == VALID_ENV
    assert unit_files.read_env_example(git, upstream.commits["dev1"])["NEW_KEY"] == "x"


def test_missing_and_malformed_files(cloned):
    upstream, git = cloned
    no_env, bad_json, bad_keys = (upstream.commits[k] for k in ("no-env", "bad-json", "bad-keys"))
    assert message(unit_files.check_unit_files, git, no_env) == (
        f"422: 5: Git Repo Validation Error: File env_example.json not found in repo commit {no_env}")
    assert message(unit_files.read_schema, git, bad_json) == "422: 9: JSON Decode Error: Data schema_example.json is invalid"
    assert message(unit_files.read_schema, git, bad_keys) == (
        "422: 5: Git Repo Validation Error: This schema file has unresolved IO and base IO keys")
    assert message(unit_files.read_schema, git, None) == "422: 5: Git Repo Validation Error: Commit not found"
    unknown = "0" * 40
    assert message(unit_files.read_schema, git, unknown) == (
        f"422: 5: Git Repo Validation Error: File schema_example.json not found in repo commit {unknown}")


def test_schema_rules_in_order():
    keys = {k: [] for k in unit_files.SCHEMA_KEYS}
    check = unit_files.check_schema
    assert message(check, ["not", "an", "object"]).endswith("This schema file has unresolved IO and base IO keys")
    assert message(check, {**keys, "input_topic": "x"}).endswith(
        "This schema file has not available value types, only list is available")
    assert message(check, {**keys, "extra": {}}).endswith("only list is available")
    allowed = "Topics in the schema use characters that are not allowed, allowed: " \
              "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_-"
    for topic in ("has space", "dot.ted", "plus+", "hash#", "ü", 5, None):
        assert message(check, {**keys, "output_topic": [topic]}) == f"422: 5: Git Repo Validation Error: {allowed}", topic
    long_topic = "a" * 65435
    assert message(check, {**keys, "input_topic": [long_topic]}).endswith(
        "The length 65435 of the topic title is too long, max: 65435")
    assert check({**keys, "input_topic": ["a" * 65434]})
    assert check(keys) == keys  # all lists empty is valid, not a crash


def test_env_rules():
    assert unit_files.check_env_example({"A": 1}) == {"A": 1}
    assert message(unit_files.check_env_example, ["A"]) == "422: 9: JSON Decode Error: Data env_example.json is invalid"
