"""Rows for MQTT tests, created directly with the models (the units service is not needed)."""
from __future__ import annotations

import threading
import time
import uuid

from pepeunit.extensions import db
from pepeunit.models import (GitPlatform, Repo, RepositoryRegistry, Unit, UnitNode, UnitNodeEdge,
                             UnitNodeTypeEnum, User, VisibilityLevel)
from pepeunit.services.agents import issue_unit_token, issue_user_token


def short(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


def user(name: str | None = None) -> User:
    row = User(login=name or short("u"), hashed_password="x")
    db.session.add(row)
    db.session.flush()
    return row


def unit(creator: User, name: str | None = None, **fields) -> Unit:
    if "repo_uuid" in fields:
        row = Unit(name=name or short("unit"), creator_uuid=creator.uuid, **fields)
        db.session.add(row)
        db.session.flush()
        return row
    registry = RepositoryRegistry(platform=GitPlatform.GITHUB, repository_url=f"https://example.invalid/{uuid.uuid4()}")
    db.session.add(registry)
    db.session.flush()
    repo = Repo(name=short("r"), creator_uuid=creator.uuid, repository_registry_uuid=registry.uuid)
    db.session.add(repo)
    db.session.flush()
    row = Unit(name=name or short("unit"), creator_uuid=creator.uuid, repo_uuid=repo.uuid, **fields)
    db.session.add(row)
    db.session.flush()
    return row


def node(owner: Unit, kind: UnitNodeTypeEnum, topic_name: str = "value/pepeunit",
         visibility=VisibilityLevel.PUBLIC) -> UnitNode:
    row = UnitNode(type=kind, topic_name=topic_name, unit_uuid=owner.uuid, creator_uuid=owner.creator_uuid,
                   visibility_level=visibility)
    db.session.add(row)
    db.session.flush()
    return row


def edge(output: UnitNode, input_: UnitNode) -> UnitNodeEdge:
    row = UnitNodeEdge(node_output_uuid=output.uuid, node_input_uuid=input_.uuid, creator_uuid=output.creator_uuid)
    db.session.add(row)
    db.session.flush()
    return row


def unit_token(row: Unit, settings) -> str:
    return issue_unit_token(row.uuid, settings)


def user_token(row: User, settings) -> str:
    return issue_user_token(row, settings)


def wait_until(predicate, timeout: float = 10.0, step: float = 0.05) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(step)
    return bool(predicate())


class RunningConsumer:
    """A consumer on its own thread for one test (not through the leader election)."""

    def __init__(self, app, **kwargs):
        from pepeunit.mqtt.consumer import Consumer

        self.consumer = Consumer(app, **kwargs)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.consumer.run, args=(self.stop,), daemon=True)

    def __enter__(self):
        self.thread.start()
        assert self.consumer.subscribed.wait(10), "consumer did not subscribe"
        return self.consumer

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(15)
        assert not self.thread.is_alive()
