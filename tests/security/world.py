"""The world the access matrix runs in, built with the real services.

Per visibility V (Public, Internal, Private) the user ``creator`` owns a repo, a
unit and its four nodes at V (over a public registry served by the local git
HTTP server), plus an edge between two of those nodes. ``permitted`` holds a
permission on the repo, the unit and every node, and valid credentials for the
private registry. ``stranger`` owns a Public repo and the unit ``unit_other``.
``admin`` is the first user (so the instance admin); ``blocked`` was blocked by
the admin. The stranger's Public output feeds every chain's ``set_speed`` input. Tokens: every user's, each unit's, an expired and a forged one.
"""
from __future__ import annotations

import dataclasses
import uuid as uuid_module
from datetime import datetime, timedelta, timezone

import jwt

from pepeunit.extensions import db, get_settings
from pepeunit.models import AgentType, PermissionEntities, UnitNode, UserRole, VisibilityLevel
from pepeunit.services import permissions, repos, repository_registry, unit_node_edges, units, users
from pepeunit.services.agents import ANONYMOUS, Agent, issue_unit_token, issue_user_token
from tests.git_server import make_unit_repo
from tests.helpers import PASSWORD

LEVELS = ("Public", "Internal", "Private")
INPUTS, OUTPUTS = ("input/pepeunit", "set_speed"), ("temperature/pepeunit", "humidity")


@dataclasses.dataclass
class Chain:
    """One visibility level's repo → unit → nodes → edge → permission."""
    repo: dict
    unit: dict
    nodes: dict            # topic name -> uuid
    edge: dict             # {"output": uuid, "input": uuid}


@dataclasses.dataclass
class World:
    users: dict            # agent key -> {"uuid", "login", "token"}
    tokens: dict           # agent key -> token (None = anonymous)
    registries: dict       # "Public"/"Private" -> {"uuid", "url"}
    chains: dict           # level -> Chain
    other_unit: dict
    other_repo: dict
    git_server: object
    domain: str

    def agent(self, key: str) -> Agent:
        role = UserRole.ADMIN if key == "admin" else UserRole.USER
        return Agent(AgentType.USER, uuid_module.UUID(self.users[key]["uuid"]), role, self.users[key]["login"])


def _user_agent(row) -> Agent:
    return Agent(AgentType.USER, row.uuid, row.role, row.login)


def _new_user(login: str):
    return users.create(ANONYMOUS, login, PASSWORD)


def _token_for(user, settings) -> str:
    return issue_user_token(user, settings)


def new_registry(server, creator: Agent, private: bool, credentials_for: tuple = ()) -> dict:
    served = make_unit_repo(server, private=private)
    secret = {"username": server.username, "pat_token": server.password} if private else None
    registry = repository_registry.create(creator, "Github", served.url, not private, secret)
    for agent in credentials_for:
        repository_registry.set_credentials(agent, registry.uuid, server.username, server.password)
    return {"uuid": str(registry.uuid), "url": served.url}


def new_repo(creator: Agent, registry_uuid, level: str, name: str) -> dict:
    repo = repos.create(creator, registry_uuid, "main", VisibilityLevel(level), name, False)
    return {"uuid": str(repo.uuid), "name": repo.name}


def new_unit(creator: Agent, repo_uuid, level: str, name: str) -> dict:
    unit = units.create(creator, units.UnitCreate(repo_uuid, VisibilityLevel(level), name, True))
    return {"uuid": str(unit.uuid), "name": unit.name}


def nodes_of(unit_uuid) -> dict:
    rows = db.session.query(UnitNode).filter(UnitNode.unit_uuid == unit_uuid).all()
    return {row.topic_name: str(row.uuid) for row in rows}


def grant_all(creator: Agent, grantee_uuid, repo_uuid, unit_uuid, node_uuids) -> None:
    user = PermissionEntities.USER
    if repo_uuid:
        permissions.create(creator, user, grantee_uuid, PermissionEntities.REPO, repo_uuid)
    if unit_uuid:
        permissions.create(creator, user, grantee_uuid, PermissionEntities.UNIT, unit_uuid)
    for node in node_uuids:
        permissions.create(creator, user, grantee_uuid, PermissionEntities.UNIT_NODE, node)


def build(app, server) -> World:
    with app.app_context():
        settings = get_settings()
        rows = {key: _new_user(login) for key, login in (
            ("admin", "matrix_admin"), ("creator", "matrix_creator"), ("permitted", "matrix_permitted"),
            ("stranger", "matrix_stranger"), ("blocked", "matrix_blocked"), ("victim", "matrix_victim"))}
        agents = {key: _user_agent(row) for key, row in rows.items()}
        assert rows["admin"].role is UserRole.ADMIN
        creator, permitted, stranger = agents["creator"], agents["permitted"], agents["stranger"]
        registries = {"Public": new_registry(server, creator, False),
                      "Private": new_registry(server, creator, True, credentials_for=(permitted,))}
        chains = {}
        for level in LEVELS:
            repo = new_repo(creator, registries["Public"]["uuid"], level, f"repo_{level.lower()}")
            unit = new_unit(creator, repo["uuid"], level, f"unit_{level.lower()}")
            nodes = nodes_of(unit["uuid"])
            grant_all(creator, permitted.uuid, repo["uuid"], unit["uuid"], nodes.values())
            unit_node_edges.create_edge(creator, nodes["temperature/pepeunit"], nodes["input/pepeunit"])
            chains[level] = Chain(repo, unit, nodes, {"output": nodes["temperature/pepeunit"],
                                                      "input": nodes["input/pepeunit"]})
        other_repo = new_repo(stranger, registries["Public"]["uuid"], "Public", "repo_stranger")
        other_unit = new_unit(stranger, other_repo["uuid"], "Public", "unit_stranger")
        other_unit["nodes"] = nodes_of(other_unit["uuid"])
        for chain in chains.values():  # the stranger's Public output feeds each chain's second input
            unit_node_edges.create_edge(creator, other_unit["nodes"]["temperature/pepeunit"], chain.nodes["set_speed"])
        tokens = {key: _token_for(row, settings) for key, row in rows.items()}
        users.block(agents["admin"], rows["blocked"].uuid)
        past = datetime.now(timezone.utc) - timedelta(seconds=5)
        claims = {"uuid": str(rows["creator"].uuid), "type": "User"}
        tokens.update(
            anonymous=None,
            unit_other=issue_unit_token(other_unit["uuid"], settings),
            expired=jwt.encode({**claims, "exp": past}, settings.PU_SECRET_KEY, "HS256"),
            forged=jwt.encode({**claims, "exp": past + timedelta(days=1)}, "not-the-instance-key-0123456789abc",
                              "HS256"),
        )
        for level, chain in chains.items():
            tokens[f"unit_self:{level}"] = issue_unit_token(chain.unit["uuid"], settings)
        user_info = {key: {"uuid": str(row.uuid), "login": row.login} for key, row in rows.items()}
        db.session.remove()
    return World(user_info, tokens, registries, chains, other_unit, other_repo, server, settings.PU_DOMAIN)
