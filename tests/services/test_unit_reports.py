"""Firmware update status machine driven by state reports (real git clone, real PostgreSQL)."""
from __future__ import annotations

import os
import shutil
from datetime import datetime, timedelta

from pepeunit.extensions import db
from pepeunit.git import LocalRepository
from pepeunit.models import Repo, Unit
from pepeunit.models import UnitFirmwareUpdateStatus as S
from pepeunit.services import unit_reports

from .. import world
from ..helpers import git, new_work_repo


def test_state_reports_resolve_pending_updates(app, settings, tmp_path):
    upstream = new_work_repo(tmp_path / "upstream")
    (upstream / "a.txt").write_text("one")
    git(upstream, "add", ".")
    git(upstream, "commit", "-q", "-m", "first")
    old = git(upstream, "rev-parse", "HEAD")
    (upstream / "a.txt").write_text("two")
    git(upstream, "commit", "-q", "-am", "second")
    target = git(upstream, "rev-parse", "HEAD")

    now = datetime.utcnow()
    with app.app_context():
        owner = world.user(bare=True)
        done = world.unit(owner, bare=True, firmware_update_status=S.REQUEST_SENT, last_firmware_update_datetime=now)
        repo = db.session.get(Repo, done.repo_uuid)
        repo.default_branch = "main"
        repo.is_only_tag_update = False
        late = world.unit(owner, repo, bare=True, firmware_update_status=S.REQUEST_SENT,
                          last_firmware_update_datetime=now - timedelta(hours=1))
        waiting = world.unit(owner, repo, bare=True, firmware_update_status=S.REQUEST_SENT,
                             last_firmware_update_datetime=now)
        db.session.commit()
        clone_path = os.path.join(settings.PU_SAVE_REPO_PATH, str(repo.repository_registry_uuid))
        LocalRepository.clone(f"file://{upstream}", clone_path)
        try:
            reports = [
                unit_reports.StateReport(done.uuid, *unit_reports.parse_state(f'{{"pu_commit_version": "{target}"}}'),
                                         now),
                unit_reports.StateReport(late.uuid, *unit_reports.parse_state(f'{{"pu_commit_version": "{old}"}}'),
                                         now),
                unit_reports.StateReport(waiting.uuid, *unit_reports.parse_state(f'{{"pu_commit_version": "{old}"}}'),
                                         now),
            ]
            assert unit_reports.apply_states(reports) == 3
            db.session.commit()
        finally:
            shutil.rmtree(clone_path, ignore_errors=True)
        db.session.expire_all()
        done, late, waiting = (db.session.get(Unit, u.uuid) for u in (done, late, waiting))
        assert (done.firmware_update_status, done.firmware_update_error, done.last_firmware_update_datetime) == (
            S.SUCCESS, None, None)
        assert done.current_commit_version == target and done.last_update_datetime == now
        assert late.firmware_update_status is S.ERROR
        assert late.firmware_update_error == (
            f"422: 11: Update Error: Device firmware update time is twice as fast as "
            f"{settings.PU_STATE_SEND_INTERVAL}s times")
        assert waiting.firmware_update_status is S.REQUEST_SENT


def test_parse_state_rejects_non_objects_and_keeps_reserved_keys():
    for bad in ("[]", "1", '"x"', "null"):
        try:
            unit_reports.parse_state(bad)
        except ValueError:
            continue
        raise AssertionError(f"{bad} accepted")
    text, version = unit_reports.parse_state('{"commit_version": "legacy", "millis": 5}')
    assert version == "legacy" and '"millis": 5.0' in text
