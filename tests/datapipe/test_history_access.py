"""Who may read, export, import and delete a node's pipe history, over REST and GraphQL; and the feature flag."""
from __future__ import annotations

from datetime import timedelta

import pytest

from pepeunit.models import VisibilityLevel
from pepeunit.models.columns import utcnow
from tests.datapipe.history_common import (
    FLAG_OFF,
    add_n_records,
    export_zip,
    gql_delete,
    gql_import,
    gql_read,
    n_records,
    pipe_node,
    rest_delete,
    rest_import,
    rest_read,
    set_flag,
)
from tests.helpers import gql_error

NOT_CREATOR = "403: 1: No Access: AgentUser is not creator this entity - UnitNode."
PRIVATE = "403: 1: No Access: Private visibility level is not allowed"


def _csv() -> str:
    return f"create_datetime,state\r\n{utcnow().replace(microsecond=0) - timedelta(minutes=1)},new\r\n"


def _node(app, visibility):
    node = pipe_node(app, n_records(5), visibility)
    add_n_records(app, node.uuid, ["a", "b"], utcnow() - timedelta(minutes=2))
    return node


def _read_status(client, token, node) -> tuple[int, str | None]:
    """(REST status, GraphQL error or None) of a read by ``token``."""
    response = rest_read(client, token, node.uuid, "NRecords")
    body = gql_read(client, token, node.uuid, "N_RECORDS")
    return response.status_code, (body["errors"][0]["message"] if body.get("errors") else None)


@pytest.mark.parametrize("visibility", [VisibilityLevel.PUBLIC, VisibilityLevel.INTERNAL, VisibilityLevel.PRIVATE])
def test_who_reads_and_exports(app, client, monkeypatch, visibility):
    set_flag(app, monkeypatch)
    node = _node(app, visibility)
    assert _read_status(client, node.token, node) == (200, None)
    assert _read_status(client, node.unit_token, node) == (200, None)  # the node's own unit
    # another user: never (v1.2: creator only)
    assert _read_status(client, node.other_token, node) == (403, NOT_CREATOR)
    assert export_zip(client, node.other_token, node.uuid).status_code == 403
    assert export_zip(client, node.unit_token, node.uuid).status_code == 200
    # another user's unit: only when the node is visible to it (v1.2 let any unit read any node, Q15)
    status, error = _read_status(client, node.other_unit_token, node)
    if visibility is VisibilityLevel.PRIVATE:
        assert (status, error) == (403, PRIVATE)
        assert rest_read(client, node.other_unit_token, node.uuid, "NRecords").get_json()["detail"] == PRIVATE
        assert export_zip(client, node.other_unit_token, node.uuid).status_code == 403
        assert rest_read(client, node.other_unit_token, node.uuid, "LastValue").status_code == 403
    else:
        assert (status, error) == (200, None)


def test_anonymous_is_refused(app, client, monkeypatch):
    set_flag(app, monkeypatch)
    node = _node(app, VisibilityLevel.PUBLIC)
    response = rest_read(client, None, node.uuid, "NRecords")
    assert response.status_code == 403 and response.get_json()["detail"].startswith(
        "403: 1: No Access: AgentBot access not allowed")
    assert gql_error(gql_read(client, None, node.uuid, "N_RECORDS")).startswith("403: 1: No Access: AgentBot")


def test_only_the_creator_imports_and_deletes(app, client, monkeypatch):
    set_flag(app, monkeypatch)
    node = _node(app, VisibilityLevel.PUBLIC)
    for token in (node.other_token, node.unit_token, node.other_unit_token, None):
        assert rest_import(client, token, node.uuid, _csv()).status_code == 403
        assert gql_error(gql_import(client, token, node.uuid, _csv())).startswith("403: 1: No Access: ")
        assert rest_delete(client, token, node.uuid).status_code == 403
        assert gql_error(gql_delete(client, token, node.uuid)).startswith("403: 1: No Access: ")
    assert rest_read(client, node.token, node.uuid, "NRecords").get_json()["count"] == 2
    assert rest_import(client, node.token, node.uuid, _csv()).status_code == 204
    assert rest_read(client, node.token, node.uuid, "NRecords").get_json()["count"] == 1
    missing = "00000000-0000-0000-0000-000000000000"
    assert rest_delete(client, node.token, missing).get_json()["detail"] == \
        "422: 2: Validation Error: The object does not exist"


def test_flag_off_answers_the_feature_flag_error_everywhere(app, client, monkeypatch):
    set_flag(app, monkeypatch, True)
    node = _node(app, VisibilityLevel.PUBLIC)
    set_flag(app, monkeypatch, False)
    for response in (rest_read(client, node.token, node.uuid, "NRecords"),
                     rest_read(client, None, node.uuid, "LastValue"),
                     export_zip(client, node.token, node.uuid),
                     rest_import(client, node.token, node.uuid, _csv()),
                     rest_delete(client, node.token, node.uuid)):
        assert response.status_code == 405 and response.get_json()["detail"] == FLAG_OFF
    assert gql_error(gql_read(client, node.token, node.uuid, "N_RECORDS")) == FLAG_OFF
    assert gql_error(gql_import(client, node.token, node.uuid, _csv())) == FLAG_OFF
    assert gql_error(gql_delete(client, node.token, node.uuid)) == FLAG_OFF
    set_flag(app, monkeypatch, True)
    assert rest_read(client, node.token, node.uuid, "NRecords").get_json()["count"] == 2
