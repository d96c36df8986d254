"""Rows made directly with the models, for tests about access rules rather than creation."""
from __future__ import annotations

import uuid

from pepeunit.extensions import db
from pepeunit.models import (Permission, PermissionEntities, Repo, RepositoryRegistry, Unit, UnitNode,
                             UnitNodeTypeEnum, VisibilityLevel, GitPlatform)
from pepeunit.services import permissions


def _short() -> str:
    return uuid.uuid4().hex[:12]


def make_registry(creator_uuid) -> RepositoryRegistry:
    row = RepositoryRegistry(platform=GitPlatform.GITHUB, repository_url=f"https://example.invalid/{_short()}.git",
                             is_public_repository=True, creator_uuid=creator_uuid)
    db.session.add(row)
    db.session.flush()
    return row


def make_repo(creator_uuid, visibility=VisibilityLevel.PUBLIC) -> Repo:
    registry = make_registry(creator_uuid)
    repo = Repo(name=f"r{_short()}", visibility_level=visibility, creator_uuid=creator_uuid,
                repository_registry_uuid=registry.uuid, default_branch="main")
    db.session.add(repo)
    db.session.flush()
    permissions.grant(PermissionEntities.USER, creator_uuid, PermissionEntities.REPO, repo.uuid)
    db.session.commit()
    return repo


def make_unit(creator_uuid, repo: Repo, visibility=VisibilityLevel.PUBLIC) -> Unit:
    unit = Unit(name=f"u{_short()}", visibility_level=visibility, creator_uuid=creator_uuid, repo_uuid=repo.uuid)
    db.session.add(unit)
    db.session.flush()
    permissions.grant(PermissionEntities.USER, creator_uuid, PermissionEntities.UNIT, unit.uuid)
    permissions.grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.REPO, repo.uuid)
    permissions.grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.UNIT, unit.uuid)
    db.session.commit()
    return unit


def make_node(unit: Unit, kind=UnitNodeTypeEnum.OUTPUT, topic="out/pepeunit", visibility=None) -> UnitNode:
    node = UnitNode(type=kind, topic_name=topic, unit_uuid=unit.uuid, creator_uuid=unit.creator_uuid,
                    visibility_level=visibility or unit.visibility_level)
    db.session.add(node)
    db.session.flush()
    permissions.grant(PermissionEntities.UNIT, unit.uuid, PermissionEntities.UNIT_NODE, node.uuid)
    permissions.grant(PermissionEntities.USER, unit.creator_uuid, PermissionEntities.UNIT_NODE, node.uuid)
    db.session.commit()
    return node


def permission_count() -> int:
    return db.session.query(Permission).count()
