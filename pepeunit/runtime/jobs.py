"""Every periodic job the leader runs, registered in one place.

- unit log expiry (every 5 minutes);
- automatic firmware update of units following auto-update repos (hourly, at :00);
- sync of every registry entry with its remote (hourly, at :30);
- firmware updates that never got their confirming state are marked Error (every minute);
- DataPipe: ended aggregation windows are written (every 5 s), retention of NRecords and
  TimeWindow rows (every minute).
"""
from __future__ import annotations

from . import scheduler

HOUR = 3600


def _expire_unit_logs():
    from ..services import unit_logs

    return unit_logs.delete_expired()


def _auto_update_units():
    from ..services import unit_firmware

    return unit_firmware.update_all_auto_repos()


def _sync_registries():
    from ..services import repository_registry

    return repository_registry.sync_all()


def _expire_firmware_updates():
    from ..services import unit_reports

    return unit_reports.expire_stalled_updates()


def _close_pipe_windows():
    from ..services.datapipe import ingest

    return ingest.close_windows()


def _expire_pipe_rows():
    from ..services.datapipe import ingest

    return ingest.expire()


scheduler.register("unit_log_expiry", 300, _expire_unit_logs)
scheduler.register("repo_auto_update", HOUR, _auto_update_units)
scheduler.register("registry_sync", HOUR, _sync_registries, offset=HOUR / 2)
scheduler.register("firmware_update_timeout", 60, _expire_firmware_updates)
scheduler.register("datapipe_close_windows", 5, _close_pipe_windows)
scheduler.register("datapipe_retention", 60, _expire_pipe_rows)
