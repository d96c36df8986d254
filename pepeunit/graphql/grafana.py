"""GraphQL door for Grafana: dashboards, panels, links and the ``PepeunitGrafana`` cookie (head-api §1.3.9).

Every resolver checks the feature flag before it reads the caller's token (v1.2's order), so
with ``PU_FF_GRAFANA_INTEGRATION_ENABLE`` off every operation answers the feature-flag error.
"""
from __future__ import annotations

import graphene
from flask import after_this_request

from .. import models as m
from ..extensions import get_settings
from ..services.grafana import cookie, feature
from ..services.grafana import dashboards as service
from ..services.grafana import sync as sync_service
from ..services.listing import filter_from
from .common import NONE, CountedList, NoneType, PageInput, agent
from .enums import OrderByDate
from .unit_node import UnitNodeType

DashboardStatus = graphene.Enum.from_enum(m.DashboardStatus)
DashboardPanelTypeEnum = graphene.Enum.from_enum(m.DashboardPanelTypeEnum)


def caller(info):
    """The flag first, then the caller's token."""
    feature.require_enabled()
    return agent(info)


# --- the cookie, on the GraphQL response ------------------------------------------------------
def set_grafana_cookie(value: str) -> None:
    attributes = cookie.cookie_attributes(get_settings())

    @after_this_request
    def put(response):
        response.set_cookie(cookie.COOKIE_NAME, value, **attributes)
        return response


def delete_grafana_cookie() -> None:
    attributes = cookie.cookie_attributes(get_settings())

    @after_this_request
    def drop(response):
        response.delete_cookie(cookie.COOKIE_NAME, **attributes)
        return response


# --- types ------------------------------------------------------------------------------------
class DashboardType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    grafana_uuid = graphene.UUID(required=True)
    name = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    dashboard_url = graphene.String()
    inc_last_version = graphene.Int()
    sync_status = DashboardStatus()
    sync_error = graphene.String()
    sync_last_datetime = graphene.DateTime()
    creator_uuid = graphene.UUID(required=True)


class UnitNodeForPanelType(graphene.ObjectType):
    unit_node = graphene.Field(UnitNodeType, required=True)
    is_last_data = graphene.Boolean(required=True)
    is_forced_to_json = graphene.Boolean(required=True)
    unit_with_unit_node_name = graphene.String(required=True)


class DashboardPanelType(graphene.ObjectType):
    uuid = graphene.UUID(required=True)
    type = DashboardPanelTypeEnum(required=True)
    title = graphene.String(required=True)
    create_datetime = graphene.DateTime(required=True)
    creator_uuid = graphene.UUID(required=True)
    dashboard_uuid = graphene.UUID(required=True)
    unit_nodes_for_panel = graphene.List(graphene.NonNull(UnitNodeForPanelType), required=True)


class DashboardsResultType(CountedList, graphene.ObjectType):
    dashboards = graphene.List(graphene.NonNull(DashboardType), required=True)


class DashboardPanelsResultType(CountedList, graphene.ObjectType):
    panels = graphene.List(graphene.NonNull(DashboardPanelType), required=True)


class DashboardCreateInput(graphene.InputObjectType):
    name = graphene.String(required=True)


class DashboardPanelCreateInput(graphene.InputObjectType):
    dashboard_uuid = graphene.UUID(required=True)
    title = graphene.String(required=True)
    type = DashboardPanelTypeEnum(required=True)


class LinkUnitNodeToPanelInput(graphene.InputObjectType):
    unit_node_uuid = graphene.UUID(required=True)
    dashboard_panels_uuid = graphene.UUID(required=True)
    is_last_data = graphene.Boolean(required=True)
    is_forced_to_json = graphene.Boolean(required=True)


class DashboardFilterInput(PageInput, graphene.InputObjectType):
    search_string = graphene.String(default_value=None)
    order_by_create_date = OrderByDate(default_value=m.OrderByDate.desc)


# --- operations -------------------------------------------------------------------------------
class GrafanaQuery(graphene.ObjectType):
    get_dashboard = graphene.Field(DashboardType, required=True, uuid=graphene.UUID(required=True))
    get_dashboards = graphene.Field(DashboardsResultType, required=True,
                                    filters=DashboardFilterInput(required=True))
    get_dashboard_panels = graphene.Field(DashboardPanelsResultType, required=True,
                                          uuid=graphene.UUID(required=True))

    def resolve_get_dashboard(root, info, uuid):
        return service.get_dashboard(caller(info), uuid)

    def resolve_get_dashboards(root, info, filters):
        count, rows = service.list_dashboards(caller(info), filter_from(service.DashboardFilter, filters))
        return DashboardsResultType(count=count, dashboards=rows)

    def resolve_get_dashboard_panels(root, info, uuid):
        count, panels = service.get_panels(caller(info), uuid)
        return DashboardPanelsResultType(count=count, panels=panels)


def _mutation(name: str, output, arguments: dict, mutate):
    meta = type("Meta", (), {"arguments": arguments})
    return type(name, (graphene.Mutation,), {"Meta": meta, "Output": graphene.NonNull(output),
                                             "mutate": mutate}).Field()


def _uuid_void(name: str, service_call):
    def mutate(root, info, uuid):
        service_call(caller(info), uuid)
        return NONE
    return _mutation(name, NoneType, {"uuid": graphene.UUID(required=True)}, mutate)


def _create_dashboard(root, info, dashboard):
    return service.create_dashboard(caller(info), dashboard["name"])


def _create_panel(root, info, dashboard_panel):
    return service.create_panel(caller(info), dashboard_panel["dashboard_uuid"], dashboard_panel["title"],
                                dashboard_panel["type"])


def _link(root, info, dashboard):
    return service.link_node(caller(info), **dashboard)


def _sync(root, info, uuid):
    return sync_service.sync_dashboard(caller(info), uuid)


def _delete_link(root, info, unit_node_uuid, dashboard_panel_uuid):
    service.delete_link(caller(info), unit_node_uuid, dashboard_panel_uuid)
    return NONE


class GrafanaMutation(graphene.ObjectType):
    create_dashboard = _mutation("CreateDashboard", DashboardType,
                                 {"dashboard": DashboardCreateInput(required=True)}, _create_dashboard)
    create_dashboard_panel = _mutation("CreateDashboardPanel", DashboardPanelType,
                                       {"dashboard_panel": DashboardPanelCreateInput(required=True)}, _create_panel)
    link_unit_node_to_panel = _mutation("LinkUnitNodeToPanel", UnitNodeForPanelType,
                                        {"dashboard": LinkUnitNodeToPanelInput(required=True)}, _link)
    sync_dashboard = _mutation("SyncDashboard", DashboardType, {"uuid": graphene.UUID(required=True)}, _sync)
    delete_dashboard = _uuid_void("DeleteDashboard", service.delete_dashboard)
    delete_panel = _uuid_void("DeletePanel", service.delete_panel)
    delete_link = _mutation("DeleteLink", NoneType, {"unit_node_uuid": graphene.UUID(required=True),
                                                     "dashboard_panel_uuid": graphene.UUID(required=True)},
                            _delete_link)


class SetGrafanaCookies(graphene.Mutation):
    """Give the browser the PepeunitGrafana cookie Grafana's login needs (the frontend calls it on every load)."""

    Output = graphene.NonNull(NoneType)

    def mutate(root, info):
        set_grafana_cookie(cookie.cookie_for(caller(info)))
        return NONE


class DeleteUserCookies(graphene.Mutation):
    """Remove the PepeunitGrafana cookie (at log-out); open to every caller, as in v1.2."""

    Output = graphene.NonNull(NoneType)

    def mutate(root, info):
        delete_grafana_cookie()
        return NONE
