"""REST door for pushing a repo's version to its units: ``/repos/update_units_firmware``, ``/repos/bulk_update``."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint

from ..services import unit_firmware
from .common import current_agent

blp = Blueprint("repo_firmware", __name__, url_prefix="/repos", description="Firmware updates of repos' units")


@blp.route("/update_units_firmware/<uuid:uuid>")
class UpdateUnitsFirmware(MethodView):
    @blp.response(204)
    def patch(self, uuid):
        """Re-sync every auto-updated unit of the repo to its target and send it Update (creator)."""
        unit_firmware.update_repo_units_firmware(current_agent(), uuid)


@blp.route("/bulk_update")
class BulkUpdate(MethodView):
    @blp.response(204)
    def post(self):
        """Admin: the same for every auto-update repo, in the background."""
        unit_firmware.bulk_update(current_agent())
