"""Every periodic job the leader runs, registered in one place.

- unit log expiry (every 5 minutes);
- automatic firmware update of units following auto-update repos (hourly, at :00);
- sync of every registry entry with its remote (hourly, at :30);
- firmware updates that never got their confirming state are marked Error (every minute);
- DataPipe: ended aggregation windows are written (every 5 s), retention of NRecords and
  TimeWindow rows (every minute).
"""
from __future__ import annotations

from ..services import repository_registry, unit_firmware, unit_logs, unit_reports
from ..services.datapipe import ingest
from . import scheduler

HOUR = 3600

# Each job looks its service function up when it runs (tests may replace one).
scheduler.register("unit_log_expiry", 300, lambda: unit_logs.delete_expired())
scheduler.register("repo_auto_update", HOUR, lambda: unit_firmware.update_all_auto_repos())
scheduler.register("registry_sync", HOUR, lambda: repository_registry.sync_all(), offset=HOUR / 2)
scheduler.register("firmware_update_timeout", 60, lambda: unit_reports.expire_stalled_updates())
scheduler.register("datapipe_close_windows", 5, lambda: ingest.close_windows())
scheduler.register("datapipe_retention", 60, lambda: ingest.expire())
