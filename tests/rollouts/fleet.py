"""A repo with units that report versions, for rollout tests (service level: real DB, real broker)."""
from __future__ import annotations

import json
import uuid as uuid_module
from dataclasses import dataclass
from datetime import datetime, timedelta

from pepeunit.extensions import db
from pepeunit.models import Repo, Rollout, RolloutUnit, Unit, User
from pepeunit.services import unit_firmware, unit_reports
from pepeunit.services.rollouts import control, lifecycle
from pepeunit.services.rollouts import policy as policies
from pepeunit.services.target_version import unit_source
from tests import world


@dataclass
class Fleet:
    world: object          # tests.unit_repo.UnitWorld
    units: list            # unit uuids (auto-updating)
    v1: str

    @property
    def owner(self):
        return world.agent_of(db.session.get(User, uuid_module.UUID(self.world.user["uuid"])))

    def set_policy(self, stages=(25, 50, 100), threshold=0.0, timeout=60, rollback=True):
        return policies.set_policy(self.owner, self.world.repo_uuid,
                                   policies.PolicyInput(list(stages), threshold, timeout, rollback))

    def report(self, unit_uuids, commit: str, at: datetime | None = None) -> None:
        at = at or datetime.utcnow()
        reports = [unit_reports.StateReport(uuid_module.UUID(str(u)),
                                            *unit_reports.parse_state(json.dumps({"pu_commit_version": commit})), at)
                   for u in unit_uuids]
        unit_reports.apply_states(reports)
        db.session.commit()

    def move(self, files: dict, message: str) -> tuple[str, Rollout | None]:
        """Push a new version and let the repo fan it out (the hourly job's path)."""
        sha = self.world.push(files, message)
        unit_firmware.update_units_of(self.world.repo_uuid)
        db.session.expire_all()
        latest = lifecycle.effective.latest_rollout(self.world.repo_uuid)
        return sha, latest

    def rows(self, rollout: Rollout) -> dict:
        db.session.expire_all()
        return {r.unit_uuid: r for r in db.session.query(RolloutUnit).filter_by(rollout_uuid=rollout.uuid)}

    def target_of(self, unit_uuid) -> str:
        db.session.expire_all()
        return unit_source(db.session.get(Unit, unit_uuid)).version.commit

    def view(self, rollout: Rollout):
        db.session.expire_all()
        return control.get(self.owner, rollout.uuid)

    def later(self, seconds: float) -> datetime:
        return datetime.utcnow() + timedelta(seconds=seconds)

    def repo(self) -> Repo:
        return db.session.get(Repo, self.world.repo_uuid)
