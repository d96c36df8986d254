"""Registry and repos over GraphQL: the v1.2 names, the same service rules."""
from ..git_server import make_unit_repo
from ..helpers import gql, gql_error, new_user

REGISTRY_FIELDS = """uuid platform repositoryUrl isPublicRepository releasesData localRepositorySize syncStatus
syncError syncLastDatetime createDatetime lastUpdateDatetime creatorUuid branches __typename"""
REPO_FIELDS = """uuid visibilityLevel name createDatetime defaultBranch isAutoUpdateRepo defaultCommit isOnlyTagUpdate
isCompilableRepo lastUpdateDatetime creatorUuid repositoryRegistryUuid __typename"""

CREATE_REGISTRY = f"""mutation($url: String!, $public: Boolean!, $creds: CredentialsInput) {{
  createRepositoryRegistry(repositoryRegistry: {{platform: GITLAB, repositoryUrl: $url,
    isPublicRepository: $public, credentials: $creds}}) {{ {REGISTRY_FIELDS} }} }}"""
CREATE_REPO = f"""mutation($registry: UUID!, $name: String!, $branch: String!) {{
  createRepo(repo: {{repositoryRegistryUuid: $registry, defaultBranch: $branch, visibilityLevel: INTERNAL,
    name: $name, isCompilableRepo: false}}) {{ {REPO_FIELDS} }} }}"""


def test_public_registry_and_repo_life_cycle(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server)
    user, token = new_user(client, "alice")
    created = gql(client, CREATE_REGISTRY, {"url": upstream.url, "public": True}, token)
    entry = created["data"]["createRepositoryRegistry"]
    assert entry["__typename"] == "RepositoryRegistryType" and entry["platform"] == "GITLAB"
    assert entry["syncStatus"] == "UPDATED" and entry["branches"] == ["broken", "dev", "main"]
    assert entry["creatorUuid"] == user["uuid"]

    commits = gql(client, """query($uuid: UUID!) { getBranchCommits(uuid: $uuid, filters: {repoBranch: "main"})
        { commit summary tag __typename } }""", {"uuid": entry["uuid"]}, token)["data"]["getBranchCommits"]
    assert [c["summary"] for c in commits] == ["c3", "c2", "c1"] and commits[0]["__typename"] == "CommitType"
    tagged = gql(client, """query($uuid: UUID!) { getBranchCommits(uuid: $uuid,
        filters: {repoBranch: "main", onlyTag: true, offset: 1, limit: 5}) { tag } }""",
                 {"uuid": entry["uuid"]}, token)["data"]["getBranchCommits"]
    assert tagged == [{"tag": "v0.1.0"}]

    repo = gql(client, CREATE_REPO, {"registry": entry["uuid"], "name": "weather", "branch": "main"}, token)
    repo = repo["data"]["createRepo"]
    assert repo["__typename"] == "RepoType" and repo["visibilityLevel"] == "INTERNAL"
    assert (repo["isAutoUpdateRepo"], repo["isOnlyTagUpdate"], repo["defaultCommit"]) == (True, True, None)

    updated = gql(client, """mutation($uuid: UUID!, $commit: String!) { updateRepo(uuid: $uuid,
        repo: {isAutoUpdateRepo: false, defaultCommit: $commit}) { isAutoUpdateRepo defaultCommit } }""",
                  {"uuid": repo["uuid"], "commit": upstream.commits["c2"]}, token)["data"]["updateRepo"]
    assert updated == {"isAutoUpdateRepo": False, "defaultCommit": upstream.commits["c2"]}

    listed = gql(client, """{ getRepos(filters: {searchString: "weather"}) { count repos { name } } }""", token=token)
    assert listed["data"]["getRepos"] == {"count": 1, "repos": [{"name": "weather"}]}
    anonymous = gql(client, """{ getRepos(filters: {}) { count } }""")
    assert anonymous["data"]["getRepos"]["count"] == 0  # Internal is not for anonymous callers
    versions = gql(client, """query($uuid: UUID!) { getVersions(uuid: $uuid) { unitCount versions { commit } } }""",
                   {"uuid": repo["uuid"]}, token)
    assert versions["data"]["getVersions"] == {"unitCount": 0, "versions": []}
    platforms = gql(client, """query($uuid: UUID!) { getAvailablePlatforms(uuid: $uuid) { name link } }""",
                    {"uuid": repo["uuid"]}, token)
    assert platforms["data"]["getAvailablePlatforms"] == []

    refused = gql(client, """mutation($uuid: UUID!) { deleteRepositoryRegistry(uuid: $uuid) { isNone } }""",
                  {"uuid": entry["uuid"]}, token)
    assert gql_error(refused) == "422: 2: Validation Error: The array was expected to be empty, but it turned out to be full"
    deleted = gql(client, """mutation($uuid: UUID!) { deleteRepo(uuid: $uuid) { isNone __typename } }""",
                  {"uuid": repo["uuid"]}, token)
    assert deleted["data"]["deleteRepo"] == {"isNone": True, "__typename": "NoneType"}
    gone = gql(client, """mutation($uuid: UUID!) { deleteRepositoryRegistry(uuid: $uuid) { isNone } }""",
               {"uuid": entry["uuid"]}, token)
    assert gone["data"]["deleteRepositoryRegistry"] == {"isNone": True} and repo_cache.clones() == []


def test_private_registry_credentials_and_errors(client, git_server, repo_cache):
    upstream = make_unit_repo(git_server, private=True)
    _, alice = new_user(client, "alice")
    _, bob = new_user(client, "bob_1")
    creds = {"username": git_server.username, "patToken": git_server.password}
    wrong = gql(client, CREATE_REGISTRY, {"url": upstream.url, "public": False,
                                          "creds": {**creds, "patToken": "wrong"}}, alice)
    assert gql_error(wrong) == "422: 5: Git Repo Validation Error: No valid repo_url or credentials"
    entry = gql(client, CREATE_REGISTRY, {"url": upstream.url, "public": False, "creds": creds}, alice)
    uuid = entry["data"]["createRepositoryRegistry"]["uuid"]
    query = """query($uuid: UUID!) { getCredentials(uuid: $uuid) { credentials { username patToken } status
        __typename } }"""
    mine = gql(client, query, {"uuid": uuid}, alice)["data"]["getCredentials"]
    assert mine == {"credentials": creds, "status": "VALID", "__typename": "OneRepositoryRegistryCredentialsType"}
    theirs = gql(client, query, {"uuid": uuid}, bob)
    assert theirs["data"] == {"getCredentials": None} and "errors" not in theirs
    denied = gql(client, CREATE_REPO, {"registry": uuid, "name": "bobs_one", "branch": "main"}, bob)
    assert gql_error(denied) == ("403: 1: No Access: This User has no external Platform Credentials for operation "
                                 "with RepositoryRegistry")
    set_result = gql(client, """mutation($uuid: UUID!, $data: CredentialsInput!) { setCredentials(uuid: $uuid,
        data: $data) { isNone } }""", {"uuid": uuid, "data": creds}, bob)
    assert set_result["data"]["setCredentials"] == {"isNone": True}
    assert gql(client, CREATE_REPO, {"registry": uuid, "name": "bobs_one", "branch": "main"}, bob)["data"]["createRepo"]
    synced = gql(client, """mutation($uuid: UUID!) { updateLocalRepository(uuid: $uuid) { isNone } }""", {"uuid": uuid}, bob)
    assert synced["data"]["updateLocalRepository"] == {"isNone": True}
    anonymous = gql(client, """query($uuid: UUID!) { getRepositoryRegistry(uuid: $uuid) { uuid } }""", {"uuid": uuid})
    assert gql_error(anonymous) == "403: 1: No Access: Private RepositoryRegistry is not allowed"
    listing = gql(client, """{ getRepositoriesRegistry(filters: {}) { count repositoriesRegistry { uuid } } }""")
    assert listing["data"]["getRepositoriesRegistry"]["count"] == 0
    own = gql(client, """{ getRepositoriesRegistry(filters: {isPublicRepository: false, limit: 10})
        { count repositoriesRegistry { uuid __typename } __typename } }""", token=bob)["data"]["getRepositoriesRegistry"]
    assert own["count"] == 1 and own["__typename"] == "RepositoriesRegistryResultType"
    too_many = gql(client, """{ getRepositoriesRegistry(filters: {limit: 501}) { count } }""", token=bob)
    assert gql_error(too_many) == "422: 2: Validation Error: limit must be <= 500"
