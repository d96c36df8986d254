"""Where tests and benchmarks make their entities: users, registries, repos, units, nodes, edges.

Every function runs inside an app context and returns the model row. By default an
entity is made the way the platform makes it, through its service (a registry then
needs ``server``, the tests' git HTTP server, to serve a unit repository).
``bare=True`` makes only the row, with the models, for tests about what rows do
rather than how they are created (the MQTT consumer, the auth hook, benchmarks);
``grants=True`` adds to a bare row the permissions its service would have granted.

``access_world`` builds, through the services, the world the access matrix runs in.
"""
from __future__ import annotations

import dataclasses
import uuid as uuid_module
from datetime import datetime, timedelta, timezone

import jwt

from pepeunit.extensions import db, get_settings
from pepeunit.models import (
    AgentType,
    GitPlatform,
    PermissionEntities,
    Repo,
    RepositoryRegistry,
    Unit,
    UnitNode,
    UnitNodeEdge,
    UnitNodeTypeEnum,
    User,
    UserRole,
    VisibilityLevel,
)
from pepeunit.services import permissions, repos, repository_registry, unit_node_edges, units, users
from pepeunit.services.agents import ANONYMOUS, Agent, issue_unit_token, issue_user_token
from tests.git_server import make_unit_repo
from tests.helpers import PASSWORD


def short(prefix: str) -> str:
    return f"{prefix}{uuid_module.uuid4().hex[:8]}"


def agent_of(who) -> Agent:
    """The calling agent for a service: an ``Agent`` as is, or a ``User`` row."""
    return who if isinstance(who, Agent) else Agent(AgentType.USER, who.uuid, who.role, who.login)


def uuid_of(who) -> uuid_module.UUID | None:
    """The uuid of an ``Agent``, a row, a uuid or its text (``None`` stays ``None``)."""
    if who is None or isinstance(who, uuid_module.UUID):
        return who
    return uuid_module.UUID(who) if isinstance(who, str) else who.uuid


def _add(row):
    db.session.add(row)
    db.session.flush()
    return row


# ------------------------------------------------------------------------------ entities
def user(login: str | None = None, *, bare: bool = False) -> User:
    """A user who logs in with ``PASSWORD`` (the first one is the admin); ``bare``: a row that cannot log in."""
    if bare:
        return _add(User(login=login or short("u"), hashed_password="x"))
    return users.create(ANONYMOUS, login or short("u"), PASSWORD)


def registry(creator=None, *, server=None, private: bool = False, credentials_for: tuple = (), bare: bool = False,
             url: str | None = None, **fields) -> RepositoryRegistry:
    """A registry entry for a fresh unit repository served by ``server`` (``private``: behind its PAT;
    ``credentials_for``: agents that store valid credentials); ``bare``: a row for ``url``, nothing cloned."""
    if bare:
        return _add(RepositoryRegistry(platform=GitPlatform.GITHUB, creator_uuid=uuid_of(creator),
                                       repository_url=url or f"https://example.invalid/{uuid_module.uuid4()}.git",
                                       **fields))
    served = make_unit_repo(server, private=private)
    secret = {"username": server.username, "pat_token": server.password} if private else None
    row = repository_registry.create(agent_of(creator), "Github", served.url, not private, secret)
    for agent in credentials_for:
        repository_registry.set_credentials(agent_of(agent), row.uuid, server.username, server.password)
    return row


def repo(creator, registry_row=None, visibility=VisibilityLevel.PUBLIC, name: str | None = None, *,
         bare: bool = False, grants: bool = False, **fields) -> Repo:
    """A repo on branch ``main`` of ``registry_row`` (a bare one is made for a bare repo without it)."""
    if not bare:
        return repos.create(agent_of(creator), uuid_of(registry_row), "main", VisibilityLevel(visibility),
                            name or short("r"), False)
    registry_row = registry_row or registry(creator, bare=True)
    row = _add(Repo(name=name or short("r"), visibility_level=VisibilityLevel(visibility),
                    creator_uuid=uuid_of(creator), repository_registry_uuid=registry_row.uuid,
                    **{"default_branch": "main", **fields}))
    if grants:
        permissions.grant(PermissionEntities.USER, uuid_of(creator), PermissionEntities.REPO, row.uuid)
        db.session.commit()
    return row


def unit(creator, repo_row=None, visibility=VisibilityLevel.PUBLIC, name: str | None = None, *,
         bare: bool = False, grants: bool = False, **fields) -> Unit:
    """A unit of ``repo_row`` (its nodes come from the repo's schema); ``bare``: a row without nodes,
    of a fresh bare repo unless ``repo_row`` is given."""
    if not bare:
        return units.create(agent_of(creator), units.UnitCreate(uuid_of(repo_row), VisibilityLevel(visibility),
                                                                name or short("unit"), True))
    repo_row = repo_row or repo(creator, bare=True)
    row = _add(Unit(name=name or short("unit"), visibility_level=VisibilityLevel(visibility),
                    creator_uuid=uuid_of(creator), repo_uuid=repo_row.uuid, **fields))
    if grants:
        permissions.grant(PermissionEntities.USER, row.creator_uuid, PermissionEntities.UNIT, row.uuid)
        permissions.grant(PermissionEntities.UNIT, row.uuid, PermissionEntities.REPO, repo_row.uuid)
        permissions.grant(PermissionEntities.UNIT, row.uuid, PermissionEntities.UNIT, row.uuid)
        db.session.commit()
    return row


def node(owner: Unit, kind=UnitNodeTypeEnum.OUTPUT, topic: str = "out/pepeunit", visibility=None, *,
         grants: bool = False) -> UnitNode:
    """A node row of ``owner`` (at the unit's visibility unless given); services make nodes only from a schema."""
    row = _add(UnitNode(type=kind, topic_name=topic, unit_uuid=owner.uuid, creator_uuid=owner.creator_uuid,
                        visibility_level=visibility or owner.visibility_level))
    if grants:
        permissions.grant(PermissionEntities.UNIT, owner.uuid, PermissionEntities.UNIT_NODE, row.uuid)
        permissions.grant(PermissionEntities.USER, owner.creator_uuid, PermissionEntities.UNIT_NODE, row.uuid)
        db.session.commit()
    return row


def edge(output: UnitNode, input_: UnitNode, creator=None, *, bare: bool = False) -> UnitNodeEdge:
    """An edge from ``output`` to ``input_`` made by ``creator``; ``bare``: the row, made by the output's creator."""
    if bare:
        return _add(UnitNodeEdge(node_output_uuid=output.uuid, node_input_uuid=input_.uuid,
                                 creator_uuid=output.creator_uuid))
    return unit_node_edges.create_edge(agent_of(creator), uuid_of(output), uuid_of(input_))


def nodes_of(unit_uuid) -> dict:
    """Topic name -> node uuid (text) of a unit's nodes."""
    rows = db.session.query(UnitNode).filter(UnitNode.unit_uuid == uuid_of(unit_uuid)).all()
    return {row.topic_name: str(row.uuid) for row in rows}


def grant_all(creator, grantee_uuid, repo_uuid, unit_uuid, node_uuids) -> None:
    """``creator`` grants the user ``grantee_uuid`` the repo, the unit and the nodes given (through the service)."""
    agent, grantee = agent_of(creator), PermissionEntities.USER
    if repo_uuid:
        permissions.create(agent, grantee, grantee_uuid, PermissionEntities.REPO, repo_uuid)
    if unit_uuid:
        permissions.create(agent, grantee, grantee_uuid, PermissionEntities.UNIT, unit_uuid)
    for node_uuid in node_uuids:
        permissions.create(agent, grantee, grantee_uuid, PermissionEntities.UNIT_NODE, node_uuid)


def unit_token(row: Unit, settings) -> str:
    return issue_unit_token(row.uuid, settings)


def user_token(row: User, settings) -> str:
    return issue_user_token(row, settings)


def described(row) -> dict:
    """A registry, repo or unit as the access matrix addresses it: uuid and name (a registry: url)."""
    if isinstance(row, RepositoryRegistry):
        return {"uuid": str(row.uuid), "url": row.repository_url}
    return {"uuid": str(row.uuid), "name": row.name}


# -------------------------------------------------------------------------- access world
LEVELS = ("Public", "Internal", "Private")


@dataclasses.dataclass
class Chain:
    """One visibility level's repo → unit → nodes → edge → permission."""
    repo: dict
    unit: dict
    nodes: dict            # topic name -> uuid
    edge: dict             # {"output": uuid, "input": uuid}


@dataclasses.dataclass
class AccessWorld:
    """Per visibility V (Public, Internal, Private) the user ``creator`` owns a repo, a unit and its
    four nodes at V (over a public registry served by the local git HTTP server), plus an edge
    between two of those nodes. ``permitted`` holds a permission on the repo, the unit and every
    node, and valid credentials for the private registry. ``stranger`` owns a Public repo and the
    unit ``unit_other``. ``admin`` is the first user (so the instance admin); ``blocked`` was
    blocked by the admin. The stranger's Public output feeds every chain's ``set_speed`` input.
    Tokens: every user's, each unit's, an expired and a forged one."""
    users: dict            # agent key -> {"uuid", "login"}
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


def access_world(app, server) -> AccessWorld:
    with app.app_context():
        settings = get_settings()
        rows = {key: user(login) for key, login in (
            ("admin", "matrix_admin"), ("creator", "matrix_creator"), ("permitted", "matrix_permitted"),
            ("stranger", "matrix_stranger"), ("blocked", "matrix_blocked"), ("victim", "matrix_victim"))}
        agents = {key: agent_of(row) for key, row in rows.items()}
        assert rows["admin"].role is UserRole.ADMIN
        creator, permitted, stranger = agents["creator"], agents["permitted"], agents["stranger"]
        public = registry(creator, server=server)
        registries = {"Public": described(public),
                      "Private": described(registry(creator, server=server, private=True,
                                                    credentials_for=(permitted,)))}
        chains = {}
        for level in LEVELS:
            repo_row = repo(creator, public, level, f"repo_{level.lower()}")
            unit_row = unit(creator, repo_row, level, f"unit_{level.lower()}")
            nodes = nodes_of(unit_row.uuid)
            grant_all(creator, permitted.uuid, repo_row.uuid, unit_row.uuid, nodes.values())
            unit_node_edges.create_edge(creator, nodes["temperature/pepeunit"], nodes["input/pepeunit"])
            chains[level] = Chain(described(repo_row), described(unit_row), nodes,
                                  {"output": nodes["temperature/pepeunit"], "input": nodes["input/pepeunit"]})
        other_repo = described(repo(stranger, public, "Public", "repo_stranger"))
        other_unit = described(unit(stranger, other_repo["uuid"], "Public", "unit_stranger"))
        other_unit["nodes"] = nodes_of(other_unit["uuid"])
        for chain in chains.values():  # the stranger's Public output feeds each chain's second input
            unit_node_edges.create_edge(creator, other_unit["nodes"]["temperature/pepeunit"], chain.nodes["set_speed"])
        tokens = {key: user_token(row, settings) for key, row in rows.items()}
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
    return AccessWorld(user_info, tokens, registries, chains, other_unit, other_repo, server, settings.PU_DOMAIN)
