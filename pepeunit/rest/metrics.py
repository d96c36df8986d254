"""REST door for instance metrics: ``/pepeunit/api/v1/metrics/``."""
from __future__ import annotations

from flask.views import MethodView
from marshmallow import fields

from ..services import metrics as service
from .arguments import Blueprint
from .common import BaseSchema, current_agent

blp = Blueprint("metrics", __name__, url_prefix="/metrics", description="Instance metrics")


class BaseMetricsRead(BaseSchema):
    user_count = fields.Integer(required=True)
    repository_registry_count = fields.Integer(required=True)
    repo_count = fields.Integer(required=True)
    unit_count = fields.Integer(required=True)
    unit_node_count = fields.Integer(required=True)
    unit_node_edge_count = fields.Integer(required=True)


@blp.route("/")
class Metrics(MethodView):
    @blp.response(200, BaseMetricsRead)
    def get(self):
        """How many users, registry entries, repos, units, nodes and edges exist."""
        return service.base_metrics(current_agent())
