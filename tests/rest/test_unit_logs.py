"""Unit logs: bulk store, list over REST and GraphQL with filters, access, expiry."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from pepeunit.extensions import db
from pepeunit.models import LogLevel, UnitLog, User
from pepeunit.services import unit_logs

from .. import world
from ..helpers import API, auth, gql, gql_error, new_user

QUERY = """query($f: UnitLogFilterInput!) { getUnitLogs(filters: $f) {
  count unitLogs { __typename uuid level unitUuid text createDatetime expirationDatetime } } }"""


def _setup(app, client, settings):
    owner, owner_token = new_user(client, "logowner")
    _, other_token = new_user(client, "logother")
    with app.app_context():
        creator = db.session.get(User, uuid.UUID(owner["uuid"]))
        unit = world.unit(creator, bare=True)
        other_unit = world.unit(creator, bare=True)
        base = datetime(2026, 1, 1)
        entries = [unit_logs.LogEntry(unit.uuid, level, f"{level.value}-{i}", base + timedelta(minutes=i))
                   for i, level in enumerate([LogLevel.DEBUG, LogLevel.INFO, LogLevel.WARNING, LogLevel.ERROR,
                                              LogLevel.CRITICAL, LogLevel.INFO])]
        entries.append(unit_logs.LogEntry(uuid.uuid4(), LogLevel.INFO, "unknown unit", base))
        assert unit_logs.store(entries) == 6
        db.session.commit()
        return unit.uuid, owner_token, other_token, world.unit_token(unit, settings), \
            world.unit_token(other_unit, settings)


def test_rest_list_filters_orders_pages(app, client, settings):
    unit_uuid, owner, other, unit_token, other_unit = _setup(app, client, settings)
    url = f"{API}/units/log_list/"
    body = client.get(url, query_string={"uuid": str(unit_uuid)}, headers=auth(owner)).get_json()
    assert body["count"] == 6
    assert [e["text"] for e in body["unit_logs"]] == ["Info-5", "Critical-4", "Error-3", "Warning-2", "Info-1",
                                                      "Debug-0"]
    assert set(body["unit_logs"][0]) == {"uuid", "level", "unit_uuid", "text", "create_datetime",
                                         "expiration_datetime"}
    body = client.get(url, query_string=[("uuid", str(unit_uuid)), ("level", "Info"), ("level", "Error"),
                                         ("order_by_create_date", "asc"), ("offset", "1"), ("limit", "1")],
                      headers=auth(unit_token)).get_json()
    assert body["count"] == 3 and [e["text"] for e in body["unit_logs"]] == ["Error-3"]
    assert client.get(url, query_string={"uuid": str(unit_uuid)}, headers=auth(other)).status_code == 403
    assert client.get(url, query_string={"uuid": str(unit_uuid)}, headers=auth(other_unit)).status_code == 403
    assert client.get(url, query_string={"uuid": str(unit_uuid)}).status_code == 403
    missing = client.get(url, query_string={"uuid": str(uuid.uuid4())}, headers=auth(owner))
    assert missing.status_code == 422 and "The object does not exist" in missing.get_json()["detail"]
    too_big = client.get(url, query_string={"uuid": str(unit_uuid), "limit": "501"}, headers=auth(owner))
    assert too_big.status_code == 422
    assert client.get(url, headers=auth(owner)).status_code == 422


def test_graphql_get_unit_logs(app, client, settings):
    unit_uuid, owner, other, unit_token, _ = _setup(app, client, settings)
    body = gql(client, QUERY, {"f": {"uuid": str(unit_uuid), "level": ["CRITICAL", "DEBUG"],
                                     "orderByCreateDate": "asc"}}, owner)
    result = body["data"]["getUnitLogs"]
    assert result["count"] == 2
    assert [(e["level"], e["text"]) for e in result["unitLogs"]] == [("DEBUG", "Debug-0"), ("CRITICAL", "Critical-4")]
    assert result["unitLogs"][0]["__typename"] == "UnitLogType"
    empty = gql(client, QUERY, {"f": {"uuid": str(unit_uuid), "level": []}}, unit_token)["data"]["getUnitLogs"]
    assert empty == {"count": 0, "unitLogs": []}
    assert gql_error(gql(client, QUERY, {"f": {"uuid": str(unit_uuid)}}, other)).startswith("403: 1: No Access")


def test_expired_rows_are_hidden_and_deleted(app, client, settings):
    unit_uuid, owner, *_ = _setup(app, client, settings)
    with app.app_context():
        db.session.query(UnitLog).filter(UnitLog.text.in_(["Debug-0", "Info-1"])).update(
            {UnitLog.expiration_datetime: datetime.utcnow() - timedelta(seconds=1)}, synchronize_session=False)
        db.session.commit()
    body = client.get(f"{API}/units/log_list/", query_string={"uuid": str(unit_uuid)}, headers=auth(owner)).get_json()
    assert body["count"] == 4
    with app.app_context():
        assert unit_logs.delete_expired(chunk=1) == 2
        assert db.session.query(UnitLog).count() == 4
        assert unit_logs.delete_for_unit(unit_uuid) == 4
        db.session.commit()
        assert db.session.query(UnitLog).count() == 0
