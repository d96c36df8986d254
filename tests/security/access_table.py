"""The access matrix, as data: who gets what answer, for every action on every entity.

An ``Action`` row names the entity, how to call it over REST and GraphQL, and
the expected answer per agent and visibility column (a *profile*). Profiles are
written out literally, agent by agent, so the test does not re-derive the rules
it checks. The three token failures (blocked, expired, forged) answer the same
for every action and are declared once, in ``TOKEN_FAILURES``.

Adding an entity: add its target in ``TARGETS`` (and ``FRESH`` if a row deletes
it), then its rows in ``ACTIONS``. Adding an action: add a row.
"""
from __future__ import annotations

import dataclasses

# ------------------------------------------------------------------- the answers
OK, PRESENT, ABSENT = "ok", "present", "absent"
ALLOW, DENY = "allow", "deny"      # the MQTT authorization hook's two answers
TYPE_U = "{cls} access not allowed, only for [<AgentType.USER: 'User'>]"
TYPE_BU = "{cls} access not allowed, only for [<AgentType.BOT: 'Bot'>, <AgentType.USER: 'User'>]"
TYPE_UN = "{cls} access not allowed, only for [<AgentType.USER: 'User'>, <AgentType.UNIT: 'Unit'>]"
ADMIN_ONLY = "{cls} access not allowed, only for [<UserRole.ADMIN: 'Admin'>]"
NOT_CREATOR = "{cls} is not creator this entity - {entity}."
INTERNAL = "Internal visibility level is not allowed"
PRIVATE = "Private visibility level is not allowed"
REG_PRIVATE = "Private RepositoryRegistry is not allowed"
UNIT_OTHER = "The Unit {unit_name} requesting the information does not have access to it"
NOT_REWRITABLE = "The Unit requesting the information does not have access to it"
NO_CREDS = "This User has no external Platform Credentials for operation with RepositoryRegistry"
PUBLIC_REGISTRY = "422: 13: Repository Registry Validation Error: This Repository is Public"

TOKEN_FAILURES = {"blocked": "Agent is blocked or not found", "expired": "Token expired",
                  "forged": "Token is invalid"}
AGENTS = ("anonymous", "admin", "creator", "permitted", "stranger", "unit_self", "unit_other",
          *TOKEN_FAILURES)
AGENT_CLASS = {"anonymous": "AgentBot", "unit_self": "AgentUnit", "unit_other": "AgentUnit"}
LEVELS = ("Public", "Internal", "Private")
COLUMNS = {"registry": ("Public", "Private"), "user": ("-",)}

# ------------------------------------------------------------------- profiles
# agent -> one answer for every column, or a tuple with one answer per column.
READ_BUN = {"anonymous": (OK, INTERNAL, PRIVATE), "admin": (OK, OK, PRIVATE), "creator": OK, "permitted": OK,
            "stranger": (OK, OK, PRIVATE), "unit_self": OK, "unit_other": (OK, OK, PRIVATE)}
# An edge from the stranger's output into a chain's input grants the feeding unit (unit_other) access
# to the receiving unit (v1.2's automatic output unit -> input unit permission), Private included.
READ_UNIT = {**READ_BUN, "unit_other": OK}
READ_BU = {**READ_BUN, "unit_self": TYPE_BU, "unit_other": TYPE_BU}
READ_U = {**READ_BUN, "anonymous": TYPE_U, "unit_self": TYPE_U, "unit_other": TYPE_U}
LIST_BUN = {"anonymous": (PRESENT, ABSENT, ABSENT), "admin": (PRESENT, PRESENT, ABSENT), "creator": PRESENT,
            "permitted": PRESENT, "stranger": (PRESENT, PRESENT, ABSENT), "unit_self": PRESENT,
            "unit_other": (PRESENT, PRESENT, ABSENT)}
LIST_UNIT = {**LIST_BUN, "unit_other": PRESENT}
LIST_BU = {**LIST_BUN, "unit_self": TYPE_BU, "unit_other": TYPE_BU}
CREATOR_ONLY = {"anonymous": TYPE_U, "admin": NOT_CREATOR, "creator": OK, "permitted": NOT_CREATOR,
                "stranger": NOT_CREATOR, "unit_self": TYPE_U, "unit_other": TYPE_U}
CREATOR_OR_SELF = {"anonymous": TYPE_UN, "admin": NOT_CREATOR, "creator": OK, "permitted": NOT_CREATOR,
                   "stranger": NOT_CREATOR, "unit_self": OK, "unit_other": UNIT_OTHER}
SET_INPUT = {"anonymous": TYPE_UN, "admin": (NOT_CREATOR, NOT_CREATOR, PRIVATE), "creator": OK, "permitted": OK,
             "stranger": (NOT_CREATOR, NOT_CREATOR, PRIVATE), "unit_self": NOT_REWRITABLE,
             "unit_other": NOT_REWRITABLE}
EDGE_CREATE = {**CREATOR_ONLY, "admin": (NOT_CREATOR, NOT_CREATOR, PRIVATE),
               "stranger": (NOT_CREATOR, NOT_CREATOR, PRIVATE)}
REVOKE = {**CREATOR_ONLY, "permitted": OK}          # the grantee may drop its own grant
LIST_GRANTS = {**CREATOR_ONLY, "creator": PRESENT}
USER_READ = {"anonymous": TYPE_U, "admin": OK, "creator": OK, "permitted": OK, "stranger": OK,
             "unit_self": TYPE_U, "unit_other": TYPE_U}
USER_LIST = {**USER_READ, **{k: PRESENT for k in ("admin", "creator", "permitted", "stranger")}}
ADMIN = {**USER_READ, "admin": OK, "creator": ADMIN_ONLY, "permitted": ADMIN_ONLY, "stranger": ADMIN_ONLY}
# registry columns: (Public, Private)
REG_GET = {"anonymous": (OK, REG_PRIVATE), "admin": OK, "creator": OK, "permitted": OK, "stranger": OK,
           "unit_self": TYPE_BU, "unit_other": TYPE_BU}
REG_LIST = {**REG_GET, "anonymous": (PRESENT, ABSENT), **{k: PRESENT for k in ("admin", "creator", "permitted",
                                                                                "stranger")}}
REG_BRANCHES = {**REG_GET, "anonymous": (PRESENT, REG_PRIVATE), "admin": (PRESENT, ABSENT), "creator": PRESENT,
                "permitted": PRESENT, "stranger": (PRESENT, ABSENT)}
REG_CONTENT = {"anonymous": TYPE_U, "admin": (OK, NO_CREDS), "creator": OK, "permitted": OK,
               "stranger": (OK, NO_CREDS), "unit_self": TYPE_U, "unit_other": TYPE_U}
REG_CREDENTIALS = {**USER_READ, **{k: (PUBLIC_REGISTRY, OK) for k in ("admin", "creator", "permitted", "stranger")}}

# The MQTT hook (POST /units/auth): topology, not visibility. A unit publishes its own outputs and
# subscribes to its own inputs and to outputs linked into its inputs by an edge; users, bad tokens
# and anonymous never pass. The same at every visibility level.
NOBODY = {agent: DENY for agent in ("anonymous", "admin", "creator", "permitted", "stranger", "unit_self",
                                    "unit_other")}
ONLY_SELF = {**NOBODY, "unit_self": ALLOW}

# Counts (metrics) follow visibility alone, for every agent that may ask.
COUNTED = {"repo_count": "repo", "unit_count": "unit", "unit_node_count": "node", "unit_node_edge_count": "edge",
           "repository_registry_count": "registry", "user_count": "user"}
COUNT_PROFILE = {"repo": READ_BUN, "unit": READ_UNIT, "node": READ_BUN, "edge": READ_BUN,
                 "registry": {**REG_GET, "unit_self": OK, "unit_other": OK}, "user": OK}

# Private rows an agent sees only through edge permissions: the Private chain's ``set_speed`` node
# and its edge from the stranger's output (the unit itself is in COUNT_PROFILE["unit"]).
COUNT_EXTRA = {"unit_other": {"unit_node_count": 1, "unit_node_edge_count": 1}}

# ------------------------------------------------------------------- targets
# entity -> function(world, column) -> the placeholders its rows use.
TARGETS = {
    "registry": lambda w, col: {"uuid": w.registries[col]["uuid"]},
    "repo": lambda w, col: {"uuid": w.chains[col].repo["uuid"], "name": w.chains[col].repo["name"]},
    "unit": lambda w, col: {"uuid": w.chains[col].unit["uuid"], "name": w.chains[col].unit["name"],
                            "domain": w.domain},
    "node": lambda w, col: {"uuid": w.chains[col].nodes["input/pepeunit"], "domain": w.domain,
                            "output": w.chains[col].nodes["temperature/pepeunit"]},
    "edge": lambda w, col: {"output": w.chains[col].edge["output"], "input": w.chains[col].edge["input"],
                            "spare_input": w.chains[col].nodes["set_speed"], "domain": w.domain,
                            "foreign_output": w.other_unit["nodes"]["temperature/pepeunit"]},
    "permission": lambda w, col: {"agent": w.users["permitted"]["uuid"], "resource": w.chains[col].unit["uuid"],
                                  "grantee": w.users["stranger"]["uuid"]},
    "user": lambda w, col: {"uuid": w.users["victim"]["uuid"]},
}


@dataclasses.dataclass(frozen=True)
class Call:
    method: str
    path: str
    json: dict | None = None
    query: dict | None = None
    status: int = 200


@dataclasses.dataclass(frozen=True)
class Gql:
    document: str
    variables: dict
    field: str


@dataclasses.dataclass(frozen=True)
class Hook:
    topic: str
    action: str


@dataclasses.dataclass(frozen=True)
class Action:
    entity: str
    name: str
    expect: dict
    entity_class: str = ""
    rest: Call | None = None
    gql: Gql | None = None
    hook: Hook | None = None
    items: tuple = ()          # list rows: (REST items key, GraphQL items key, id field, target key)
    fresh: bool = False        # a success consumes the target: build a new one first (``FRESH``)
    undo: str | None = None    # after a success, put the world back (``UNDO``)


def q(document: str, field: str, **variables) -> Gql:
    return Gql(document, variables, field)


U = "query($u: UUID!)"
M = "mutation($u: UUID!)"


def get_and_list(entity: str, read: dict, listing: dict, path: str, one: str, many: str, rows: str) -> list[Action]:
    """An entity's ``get`` (by uuid) and ``list`` (no filters) over both doors: ``path`` is its REST collection,
    ``one`` / ``many`` its GraphQL queries, ``rows`` the list result's rows field (REST spelling)."""
    head, *tail = rows.split("_")
    gql_rows = head + "".join(word.title() for word in tail)
    return [
        Action(entity, "get", read, rest=Call("GET", path + "/{uuid}"),
               gql=q(U + f" {{ {one}(uuid: $u) {{ uuid }} }}", one, u="{uuid}")),
        Action(entity, "list", listing, rest=Call("GET", path),
               gql=q(f"{{ {many}(filters: {{}}) {{ count {gql_rows} {{ uuid }} }} }}", many),
               items=(rows, gql_rows, "uuid", "uuid")),
    ]


ACTIONS = [
    # --- repository registry
    *get_and_list("registry", REG_GET, REG_LIST, "/repository_registry", "getRepositoryRegistry",
                  "getRepositoriesRegistry", "repositories_registry"),
    Action("registry", "branches", REG_BRANCHES, rest=Call("GET", "/repository_registry/{uuid}"),
           gql=q(U + " { getRepositoryRegistry(uuid: $u) { branches } }", "getRepositoryRegistry", u="{uuid}"),
           items=("branches", "branches", None, "main")),
    Action("registry", "branch_commits", REG_CONTENT,
           rest=Call("GET", "/repository_registry/branch_commits/{uuid}", query={"repo_branch": "main"}),
           gql=q(U + ' { getBranchCommits(uuid: $u, filters: {repoBranch: "main", offset: 0, limit: 5}) { commit } }',
                 "getBranchCommits", u="{uuid}")),
    Action("registry", "sync", REG_CONTENT, rest=Call("PATCH", "/repository_registry/update_local_repository/{uuid}",
                                                       status=204),
           gql=q(M + " { updateLocalRepository(uuid: $u) { isNone } }", "updateLocalRepository", u="{uuid}")),
    Action("registry", "credentials", REG_CREDENTIALS, rest=Call("GET", "/repository_registry/get_credentials/{uuid}"),
           gql=q(U + " { getCredentials(uuid: $u) { status } }", "getCredentials", u="{uuid}")),
    Action("registry", "delete", CREATOR_ONLY, "RepositoryRegistry", fresh=True,
           rest=Call("DELETE", "/repository_registry/{uuid}", status=204),
           gql=q(M + " { deleteRepositoryRegistry(uuid: $u) { isNone } }", "deleteRepositoryRegistry", u="{uuid}")),
    # --- repo
    *get_and_list("repo", READ_BU, LIST_BU, "/repos", "getRepo", "getRepos", "repos"),
    Action("repo", "versions", READ_BU, rest=Call("GET", "/repos/versions/{uuid}"),
           gql=q(U + " { getVersions(uuid: $u) { unitCount } }", "getVersions", u="{uuid}")),
    Action("repo", "platforms", READ_U, rest=Call("GET", "/repos/available_platforms/{uuid}"),
           gql=q(U + " { getAvailablePlatforms(uuid: $u) { name } }", "getAvailablePlatforms", u="{uuid}")),
    Action("repo", "update", CREATOR_ONLY, "Repo", rest=Call("PATCH", "/repos/{uuid}", json={"name": "{name}"}),
           gql=q('mutation($u: UUID!, $n: String) { updateRepo(uuid: $u, repo: {name: $n}) { uuid } }', "updateRepo",
                 u="{uuid}", n="{name}")),
    Action("repo", "update_units_firmware", CREATOR_ONLY, "Repo",
           rest=Call("PATCH", "/repos/update_units_firmware/{uuid}", status=204),
           gql=q(M + " { updateUnitsFirmware(uuid: $u) { isNone } }", "updateUnitsFirmware", u="{uuid}")),
    Action("repo", "delete", CREATOR_ONLY, "Repo", fresh=True, rest=Call("DELETE", "/repos/{uuid}", status=204),
           gql=q(M + " { deleteRepo(uuid: $u) { isNone } }", "deleteRepo", u="{uuid}")),
    # --- unit
    *get_and_list("unit", READ_UNIT, LIST_UNIT, "/units", "getUnit", "getUnits", "units"),
    Action("unit", "update", CREATOR_ONLY, "Unit", rest=Call("PATCH", "/units/{uuid}", json={"name": "{name}"}),
           gql=q('mutation($u: UUID!, $n: String) { updateUnit(uuid: $u, unit: {name: $n}) { uuid } }', "updateUnit",
                 u="{uuid}", n="{name}")),
    Action("unit", "delete", CREATOR_ONLY, "Unit", fresh=True, rest=Call("DELETE", "/units/{uuid}", status=204),
           gql=q(M + " { deleteUnit(uuid: $u) { isNone } }", "deleteUnit", u="{uuid}")),
    Action("unit", "env_download", CREATOR_OR_SELF, "Unit", rest=Call("GET", "/units/env/{uuid}"),
           gql=q(U + " { getUnitEnv(uuid: $u) }", "getUnitEnv", u="{uuid}")),
    Action("unit", "env_set", CREATOR_ONLY, "Unit",
           rest=Call("PATCH", "/units/env/{uuid}", json={"env_json_string": "{}"}, status=204),
           gql=q(M + ' { updateUnitEnv(uuid: $u, envJsonStr: "{}") { isNone } }', "updateUnitEnv", u="{uuid}")),
    Action("unit", "env_reset", CREATOR_ONLY, "Unit", rest=Call("DELETE", "/units/env/{uuid}", status=204),
           gql=q(M + " { resetUnitEnv(uuid: $u) { isNone } }", "resetUnitEnv", u="{uuid}")),
    Action("unit", "firmware_download", CREATOR_OR_SELF, "Unit", rest=Call("GET", "/units/firmware/tar/{uuid}")),
    Action("unit", "target_version", CREATOR_OR_SELF, "Unit", rest=Call("GET", "/units/get_target_version/{uuid}"),
           gql=q(U + " { getTargetVersion(uuid: $u) { commit } }", "getTargetVersion", u="{uuid}")),
    Action("unit", "current_schema", CREATOR_OR_SELF, "Unit", rest=Call("GET", "/units/get_current_schema/{uuid}"),
           gql=q(U + " { getUnitCurrentSchema(uuid: $u) }", "getUnitCurrentSchema", u="{uuid}")),
    Action("unit", "state_storage_set", CREATOR_OR_SELF, "Unit",
           rest=Call("POST", "/units/set_state_storage/{uuid}", json={"state": "kept"}, status=204),
           gql=q(M + ' { setStateStorage(uuid: $u, state: "kept") { isNone } }', "setStateStorage", u="{uuid}")),
    Action("unit", "state_storage_get", CREATOR_OR_SELF, "Unit", rest=Call("GET", "/units/get_state_storage/{uuid}"),
           gql=q(U + " { getStateStorage(uuid: $u) }", "getStateStorage", u="{uuid}")),
    Action("unit", "command", CREATOR_OR_SELF, "Unit",
           rest=Call("POST", "/units/send_command_to_input_base_topic/{uuid}", query={"command": "SchemaUpdate"},
                     status=204),
           gql=q(M + " { sendCommandToInputBaseTopic(uuid: $u, command: SCHEMA_UPDATE) { isNone } }",
                 "sendCommandToInputBaseTopic", u="{uuid}")),
    Action("unit", "mqtt_publish_state", ONLY_SELF,
           hook=Hook("{domain}/output_base_topic/{uuid}/state/pepeunit", "publish")),
    Action("unit", "mqtt_subscribe_state", NOBODY,
           hook=Hook("{domain}/output_base_topic/{uuid}/state/pepeunit", "subscribe")),
    Action("unit", "mqtt_subscribe_commands", ONLY_SELF,
           hook=Hook("{domain}/input_base_topic/{uuid}/update/pepeunit", "subscribe")),
    Action("unit", "mqtt_publish_commands", NOBODY,
           hook=Hook("{domain}/input_base_topic/{uuid}/update/pepeunit", "publish")),
    Action("unit", "mqtt_wildcard", NOBODY, hook=Hook("{domain}/output_base_topic/+/state/pepeunit", "subscribe")),
    # --- unit node
    *get_and_list("node", READ_BUN, LIST_BUN, "/unit_nodes", "getUnitNode", "getUnitNodes", "unit_nodes"),
    Action("node", "update", CREATOR_ONLY, "UnitNode",
           rest=Call("PATCH", "/unit_nodes/{uuid}", json={"max_connections": 10}),
           gql=q(M + " { updateUnitNode(uuid: $u, unitNode: {maxConnections: 10}) { uuid } }", "updateUnitNode",
                 u="{uuid}")),
    Action("node", "set_input", SET_INPUT, "UnitNode",
           rest=Call("PATCH", "/unit_nodes/set_state_input/{uuid}", json={"state": "1"}),
           gql=q(M + ' { setStateUnitNodeInput(uuid: $u, unitNode: {state: "1"}) { uuid } }', "setStateUnitNodeInput",
                 u="{uuid}")),
    # the node's default LastValue pipe (PU_FF_DATAPIPE_DEFAULT_LAST_VALUE_ENABLE) shown as YAML: a user who sees it
    Action("node", "data_pipe_config", READ_U, rest=Call("GET", "/unit_nodes/get_data_pipe_config/{uuid}"),
           gql=q(U + " { getDataPipeConfig(uuid: $u) }", "getDataPipeConfig", u="{uuid}")),
    Action("node", "mqtt_publish_input", NOBODY, hook=Hook("{domain}/{uuid}/pepeunit", "publish")),
    Action("node", "mqtt_subscribe_input", ONLY_SELF, hook=Hook("{domain}/{uuid}/pepeunit", "subscribe")),
    Action("node", "mqtt_publish_output", ONLY_SELF, hook=Hook("{domain}/{output}/pepeunit", "publish")),
    Action("node", "mqtt_subscribe_linked_output", ONLY_SELF, hook=Hook("{domain}/{output}/pepeunit", "subscribe")),
    # --- edge (a field reaching another entity: units' nodes linked to an input)
    Action("edge", "list", LIST_BUN, rest=Call("GET", "/unit_nodes", query={"output_uuid": "{output}"}),
           gql=q("query($o: UUID) { getUnitNodes(filters: {outputUuid: $o}) { unitNodes { uuid } } }",
                 "getUnitNodes", o="{output}"), items=("unit_nodes", "unitNodes", "uuid", "input")),
    Action("edge", "linked_outputs", LIST_BUN, rest=None,
           gql=q("query($i: UUID) { getUnits(filters: {unitNodeInputUuid: $i}) { units { unitNodes { uuid } } } }",
                 "getUnits", i="{input}"), items=("", "units.unitNodes", "uuid", "output")),
    Action("edge", "create", EDGE_CREATE, "UnitNode", undo="edge", rest=Call(
        "POST", "/unit_nodes/create_unit_node_edge", json={"node_output_uuid": "{output}",
                                                           "node_input_uuid": "{spare_input}"}, status=201),
        gql=q("mutation($o: UUID!, $i: UUID!) { createUnitNodeEdge(unitNodeEdge: {nodeOutputUuid: $o, "
              "nodeInputUuid: $i}) { uuid } }", "createUnitNodeEdge", o="{output}", i="{spare_input}")),
    Action("edge", "delete", CREATOR_ONLY, "UnitNodeEdge", fresh=True,
           gql=q("mutation($o: UUID!, $i: UUID!) { deleteUnitNodeEdge(inputUuid: $i, outputUuid: $o) { isNone } }",
                 "deleteUnitNodeEdge", o="{output}", i="{input}")),
    Action("edge", "mqtt_subscribe_linked_foreign_output", ONLY_SELF,
           hook=Hook("{domain}/{foreign_output}/pepeunit", "subscribe")),
    # --- permission
    Action("permission", "create", CREATOR_ONLY, "Unit", undo="grant", rest=Call(
        "POST", "/permission", json={"agent_uuid": "{grantee}", "agent_type": "User", "resource_uuid": "{resource}",
                                     "resource_type": "Unit"}, status=201),
        gql=q('mutation($a: UUID!, $r: UUID!) { createPermission(permission: {agentUuid: $a, agentType: USER, '
              'resourceUuid: $r, resourceType: UNIT}) { uuid } }', "createPermission", a="{grantee}", r="{resource}")),
    Action("permission", "list", LIST_GRANTS, "Unit",
           rest=Call("GET", "/permission/get_resource_agents", query={"resource_uuid": "{resource}",
                                                                        "resource_type": "Unit"}),
           gql=q('query($r: UUID!) { getResourceAgents(filters: {resourceUuid: $r, resourceType: UNIT}) '
                 '{ permissions { agentUuid } } }', "getResourceAgents", r="{resource}"),
           items=("permissions", "permissions", ("agent_uuid", "agentUuid"), "agent")),
    Action("permission", "delete", REVOKE, "Unit", undo="revoke",
           rest=Call("DELETE", "/permission/x", query={"agent_uuid": "{agent}", "resource_uuid": "{resource}"},
                     status=204),
           gql=q("mutation($a: UUID!, $r: UUID!) { deletePermission(agentUuid: $a, resourceUuid: $r) { isNone } }",
                 "deletePermission", a="{agent}", r="{resource}")),
    # --- user
    *get_and_list("user", USER_READ, USER_LIST, "/users", "getUser", "getUsers", "users"),
    Action("user", "block", ADMIN, undo="unblock", rest=Call("PATCH", "/users/block/{uuid}", status=204),
           gql=q(M + " { blockUser(uuid: $u) { isNone } }", "blockUser", u="{uuid}")),
    Action("user", "unblock", ADMIN, rest=Call("PATCH", "/users/unblock/{uuid}", status=204),
           gql=q(M + " { unblockUser(uuid: $u) { isNone } }", "unblockUser", u="{uuid}")),
]


def columns(entity: str) -> tuple:
    return COLUMNS.get(entity, LEVELS)


def expected(action: Action, agent: str, column: str) -> str:
    """The answer ``agent`` must get from ``action`` on the ``column`` target (unformatted)."""
    if agent in TOKEN_FAILURES:
        return DENY if action.hook else TOKEN_FAILURES[agent]
    answer = action.expect[agent]
    if isinstance(answer, tuple):
        answer = answer[columns(action.entity).index(column)]
    return answer
