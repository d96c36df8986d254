"""REST door for Grafana: dashboards, panels, links, the Infinity datasource and the OAuth 2
endpoints Grafana's generic OAuth login calls (``/pepeunit/api/v1/grafana``, head-api §3.9).

With ``PU_FF_GRAFANA_INTEGRATION_ENABLE`` off every route answers the feature-flag error,
before the caller's token is read (v1.2's order).
"""
from __future__ import annotations

from flask import jsonify, request
from flask.views import MethodView
from marshmallow import fields, validate

from ..models import DashboardPanelTypeEnum, DashboardStatus
from ..services.grafana import dashboards as service
from ..services.grafana import datasource, feature, oidc
from ..services.grafana import sync as sync_service
from ..services.grafana.cookie import COOKIE_NAME
from .arguments import Blueprint
from .common import BaseSchema, UuidArg, current_agent, enum_field
from .listing import CountedList, PageArgs, order_field, page_of
from .unit_nodes import UnitNodeRead

blp = Blueprint("grafana", __name__, url_prefix="/grafana", description="Grafana dashboards and login")


@blp.before_request
def _flag_first():
    feature.require_enabled()


class DashboardRead(BaseSchema):
    uuid = fields.UUID(required=True)
    grafana_uuid = fields.UUID(required=True)
    name = fields.String(required=True)
    create_datetime = fields.DateTime(required=True)
    dashboard_url = fields.String(allow_none=True)
    inc_last_version = fields.Integer(allow_none=True)
    sync_status = enum_field(DashboardStatus, allow_none=True)
    sync_error = fields.String(allow_none=True)
    sync_last_datetime = fields.DateTime(allow_none=True)
    creator_uuid = fields.UUID(required=True)


class UnitNodeForPanel(BaseSchema):
    unit_node = fields.Nested(UnitNodeRead, required=True)
    is_last_data = fields.Boolean(required=True)
    is_forced_to_json = fields.Boolean(required=True)
    unit_with_unit_node_name = fields.String(required=True)


class DashboardPanelRead(BaseSchema):
    uuid = fields.UUID(required=True)
    type = enum_field(DashboardPanelTypeEnum, required=True)
    title = fields.String(required=True)
    create_datetime = fields.DateTime(required=True)
    creator_uuid = fields.UUID(required=True)
    dashboard_uuid = fields.UUID(required=True)
    unit_nodes_for_panel = fields.List(fields.Nested(UnitNodeForPanel), required=True)


class DashboardCreate(BaseSchema):
    name = fields.String(required=True)


class DashboardPanelCreate(BaseSchema):
    dashboard_uuid = fields.UUID(required=True)
    title = fields.String(required=True)
    type = enum_field(DashboardPanelTypeEnum, required=True)


class LinkCreate(BaseSchema):
    unit_node_uuid = fields.UUID(required=True)
    dashboard_panels_uuid = fields.UUID(required=True)
    is_last_data = fields.Boolean(required=True)
    is_forced_to_json = fields.Boolean(required=True)


class LinkArgs(BaseSchema):
    unit_node_uuid = fields.UUID(required=True)
    dashboard_panel_uuid = fields.UUID(required=True)


class DashboardFilterArgs(PageArgs):
    search_string = fields.String(load_default=None)
    order_by_create_date = order_field()


class DashboardsResult(CountedList):
    dashboards = fields.List(fields.Nested(DashboardRead), required=True)


class PanelsResult(CountedList):
    panels = fields.List(fields.Nested(DashboardPanelRead), required=True)


class DatasourceArgs(BaseSchema):
    format = fields.String(required=True, validate=validate.OneOf(["timeseries"]))
    start_agg_datetime = fields.DateTime(load_default=None)
    end_agg_datetime = fields.DateTime(load_default=None)
    start_create_datetime = fields.DateTime(load_default=None)
    end_create_datetime = fields.DateTime(load_default=None)
    relative_time = fields.String(load_default=None, validate=validate.Length(max=32))
    order_by_create_date = order_field()
    offset = fields.Integer(load_default=None)
    limit = fields.Integer(load_default=None)


class Point(BaseSchema):
    time = fields.Integer(required=True)
    value = fields.Raw(required=True, metadata={"description": "text, number or object"})


class OAuthError(BaseSchema):
    """RFC 6749 §5.2 error answer of the OAuth 2 endpoints."""

    error = fields.String(required=True)
    error_description = fields.String()
    state = fields.String()


class TokenAnswer(BaseSchema):
    access_token = fields.String(required=True)
    token_type = fields.String(required=True)
    expires_in = fields.Integer(required=True)
    scope = fields.String()


class Claims(BaseSchema):
    sub = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.String(required=True)
    role = fields.String(required=True)
    organization = fields.String(required=True)


def _oauth_errors(*statuses):
    def decorate(view):
        for status in statuses:
            view = blp.alt_response(status, schema=OAuthError, description="OAuth 2 error")(view)
        return view
    return decorate


@blp.route("/create_dashboard")
class CreateDashboard(MethodView):
    @blp.arguments(DashboardCreate)
    @blp.response(201, DashboardRead)
    def post(self, body):
        """Create one of your dashboards (name: 4-20 of A-Z a-z 0-9 _ . -)."""
        return service.create_dashboard(current_agent(), body["name"])


@blp.route("/create_dashboard_panel")
class CreatePanel(MethodView):
    @blp.arguments(DashboardPanelCreate)
    @blp.response(201, DashboardPanelRead)
    def post(self, body):
        """Add a panel to your dashboard."""
        return service.create_panel(current_agent(), body["dashboard_uuid"], body["title"], body["type"])


@blp.route("/link_unit_node_to_panel")
class LinkNode(MethodView):
    @blp.arguments(LinkCreate)
    @blp.response(201, UnitNodeForPanel)
    def post(self, body):
        """Show your node on your panel (once per panel, at most PU_GRAFANA_LIMIT_UNIT_NODE_PER_ONE_PANEL)."""
        return service.link_node(current_agent(), **body)


@blp.route("/get_dashboard/<uuid:uuid>")
class GetDashboard(MethodView):
    @blp.response(200, DashboardRead)
    def get(self, uuid):
        """One of your dashboards."""
        return service.get_dashboard(current_agent(), uuid)


@blp.route("/get_dashboards")
class GetDashboards(MethodView):
    @blp.arguments(DashboardFilterArgs, location="query")
    @blp.response(200, DashboardsResult)
    def get(self, args):
        """Your dashboards (search on the name)."""
        return page_of(service.list_dashboards, service.DashboardFilter, args, "dashboards")


@blp.route("/get_dashboard_panels/<uuid:uuid>")
class GetPanels(MethodView):
    @blp.response(200, PanelsResult)
    def get(self, uuid):
        """The panels of your dashboard with their nodes, in the order they were added."""
        count, panels = service.get_panels(current_agent(), uuid)
        return {"count": count, "panels": panels}


@blp.route("/sync_dashboard")
class SyncDashboard(MethodView):
    @blp.arguments(UuidArg, location="query")
    @blp.response(200, DashboardRead)
    def post(self, args):
        """Upload your dashboard to your Grafana org; a Grafana failure is stored in sync_status/sync_error."""
        return sync_service.sync_dashboard(current_agent(), args["uuid"])


@blp.route("/delete_dashboard/<uuid:uuid>")
class DeleteDashboard(MethodView):
    @blp.response(204)
    def delete(self, uuid):
        """Delete your dashboard with its panels; their datasource tokens stop working."""
        service.delete_dashboard(current_agent(), uuid)


@blp.route("/delete_panel/<uuid:uuid>")
class DeletePanel(MethodView):
    @blp.response(204)
    def delete(self, uuid):
        """Delete your panel with its links."""
        service.delete_panel(current_agent(), uuid)


@blp.route("/delete_link/<path:uuid>")
class DeleteLink(MethodView):
    @blp.arguments(LinkArgs, location="query")
    @blp.response(204)
    def delete(self, args, uuid):
        """Take your node off your panel (the path segment is not used, as in v1.2)."""
        service.delete_link(current_agent(), args["unit_node_uuid"], args["dashboard_panel_uuid"])


@blp.route("/datasource/")
class Datasource(MethodView):
    @blp.arguments(DatasourceArgs, location="query")
    @blp.response(200, Point(many=True))
    def get(self, args):
        """The pipe data of the node a GrafanaUnitNode token (x-auth-token) was made for."""
        args.pop("format")
        return datasource.datasource(request.headers.get("x-auth-token"), datasource.DatasourceQuery(**args))


@blp.route("/oidc/authorize")
class Authorize(MethodView):
    @blp.alt_response(302, description="redirect to Grafana's redirect URI with code and state")
    @_oauth_errors(400)
    def get(self):
        """OAuth 2 authorization endpoint for Grafana (needs the PepeunitGrafana cookie); redirects with a code."""
        return oidc.authorize(request.cookies.get(COOKIE_NAME))


@blp.route("/oidc/token")
class Token(MethodView):
    @blp.alt_response(200, schema=TokenAnswer, description="the access token")
    @_oauth_errors(400, 401)
    def post(self):
        """OAuth 2 token endpoint: Grafana trades a code (with its client secret) for an access token."""
        return oidc.token()


@blp.route("/oidc/userinfo")
class UserInfo(MethodView):
    @blp.alt_response(200, schema=Claims, description="the user's claims")
    @_oauth_errors(400, 401, 403)
    def get(self):
        """The logged-in user's claims: sub, name, email, role, organization (Bearer access token)."""
        answer = oidc.userinfo()
        return jsonify(answer) if isinstance(answer, dict) else answer
