"""REST door for pushing a repo's version to its units: ``/repos/update_units_firmware``, ``/repos/bulk_update``."""
from __future__ import annotations

from ..services import unit_firmware
from .arguments import Blueprint
from .common import action_route

blp = Blueprint("repo_firmware", __name__, url_prefix="/repos", description="Firmware updates of repos' units")


action_route(blp, "/update_units_firmware/<uuid:uuid>", "patch", unit_firmware.update_repo_units_firmware,
             "Re-sync every auto-updated unit of the repo to its target and send it Update (creator).")
action_route(blp, "/bulk_update", "post", unit_firmware.bulk_update,
             "Admin: the same for every auto-update repo, in the background.")
