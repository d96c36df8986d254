"""checkDataPipeConfig, setDataPipeConfig and getDataPipeConfig over REST and GraphQL (each test runs on both)."""
from __future__ import annotations

import json
import uuid

import pytest

from pepeunit.extensions import db
from pepeunit.models import UnitNode
from pepeunit.services.datapipe import cache
from pepeunit.services.datapipe.documents import MAX_CONFIG_BYTES

from .doors import config_bytes

FLAG_OFF = "405: 15: Feature Flag Error: This feature has been disabled by the instance Owner"
DP = "422: 8: DataPipe Validation Error: "
TYPE_U = "{} access not allowed, only for [<AgentType.USER: 'User'>]"


def stored(app, node_uuid) -> tuple:
    with app.app_context():
        node = db.session.get(UnitNode, uuid.UUID(node_uuid))
        return node.data_pipe_yml, node.data_pipe_status, node.data_pipe_error


@pytest.mark.parametrize("name", ["aggregation", "last_value", "n_records", "time_window"])
def test_check_accepts_the_four_reference_configs(door, name):
    assert door.check(config_bytes(name)) == []


def test_check_lists_the_bad_configs_two_errors_for_every_caller(door, pipe_world):
    expected = [("ActivePeriod", "Value error, start and end must be provided for DATE_RANGE"),
                ("Filters", "max_rate: Input should be greater than or equal to 0")]
    for token in (None, pipe_world.tokens["stranger"], pipe_world.tokens["unit"]):
        assert door.check(config_bytes("bad"), token) == expected


@pytest.mark.parametrize("raw,message", [
    (b"", "DataPipe is None"),
    (b"\xc3\x28 not utf-8", "DataPipe config is not valid UTF-8"),
    (b"a: &x [1]\nb: *x\n", "DataPipe config must not use YAML aliases"),
    (b"x" * (MAX_CONFIG_BYTES + 1), f"DataPipe config is larger than {MAX_CONFIG_BYTES} bytes"),
    (b"[1, 2]", "DataPipe config must be a YAML mapping of the sections active_period, filters, transformations "
                "and processing_policy"),
])
def test_unreadable_files_get_a_422_on_check_and_set(door, pipe_world, app, raw, message):
    assert door.check(raw) == DP + message
    assert door.set(pipe_world.public, raw, pipe_world.tokens["owner"]) == DP + message
    assert stored(app, pipe_world.public)[0] is None


def test_set_stores_the_config_marks_it_active_tells_the_caches_and_get_shows_it(door, pipe_world, app):
    owner = pipe_world.tokens["owner"]
    with app.app_context():
        before = cache.current_generation()
    assert door.set(pipe_world.public, config_bytes("n_records"), owner) is None
    yml, status, error = stored(app, pipe_world.public)
    assert (status, error) == ("Active", None)
    assert json.loads(yml)["processing_policy"] == {"policy_type": "NRecords", "n_records_count": 100,
                                                    "time_window_size": None, "aggregation_functions": None}
    assert json.loads(yml)["active_period"]["start"] == "2024-03-01T00:00:00+00:00"
    with app.app_context():
        assert cache.current_generation() > before
    assert door.get(pipe_world.public, owner) == (
        "active_period:\n  type: FromDate\n  start: '2024-03-01T00:00:00+00:00'\n"
        "filters:\n  type_input_value: Number\n  type_value_threshold: Min\n  threshold_min: 0\n  max_rate: 0\n"
        "  last_unique_check: false\n  max_size: 50\n"
        "transformations:\n  multiplication_ratio: 0.5\n  round_decimal_point: 2\n"
        "processing_policy:\n  policy_type: NRecords\n  n_records_count: 100\n")


def test_set_with_an_invalid_config_answers_422_and_changes_nothing(door, pipe_world, app):
    owner = pipe_world.tokens["owner"]
    assert door.set(pipe_world.public, config_bytes("time_window"), owner) is None
    before = stored(app, pipe_world.public)
    with app.app_context():
        generation = cache.current_generation()
    assert door.set(pipe_world.public, config_bytes("bad"), owner) == DP + "2 validation errors for DataPipeConfig"
    assert door.set(pipe_world.public, b"", owner) == DP + "DataPipe is None"
    assert stored(app, pipe_world.public) == before
    with app.app_context():
        assert cache.current_generation() == generation


def test_set_order_of_checks(door, pipe_world):
    owner, stranger = pipe_world.tokens["owner"], pipe_world.tokens["stranger"]
    raw = config_bytes("last_value")
    assert door.set(pipe_world.public, raw) == "403: 1: No Access: " + TYPE_U.format("AgentBot")
    assert door.set(pipe_world.public, raw, pipe_world.tokens["unit"]) == "403: 1: No Access: " + TYPE_U.format(
        "AgentUnit")
    assert door.set(str(uuid.uuid4()), raw, owner) == "422: 2: Validation Error: The object does not exist"
    assert door.set(pipe_world.public, raw, stranger) == \
        "403: 1: No Access: AgentUser is not creator this entity - UnitNode."
    assert door.set(pipe_world.inactive, raw, owner) == DP + "Data pipe is not active"
    assert door.set(pipe_world.inactive, config_bytes("bad"), owner) == DP + "Data pipe is not active"


def test_get_needs_a_user_who_may_see_the_node_and_a_filled_active_pipe(door, pipe_world):
    """Q15: v1.2 showed any node's config to every user; we apply the node's visibility."""
    owner, stranger = pipe_world.tokens["owner"], pipe_world.tokens["stranger"]
    for node in (pipe_world.public, pipe_world.private):
        assert door.set(node, config_bytes("time_window"), owner) is None
    assert door.get(pipe_world.public, stranger).startswith("active_period:\n  type: ToDate\n")
    assert door.get(pipe_world.private, owner).startswith("active_period:\n  type: ToDate\n")
    assert door.get(pipe_world.private, stranger) == "403: 1: No Access: Private visibility level is not allowed"
    assert door.get(pipe_world.public) == "403: 1: No Access: " + TYPE_U.format("AgentBot")
    assert door.get(pipe_world.public, pipe_world.tokens["unit"]) == "403: 1: No Access: " + TYPE_U.format(
        "AgentUnit")
    assert door.get(str(uuid.uuid4()), owner) == "422: 2: Validation Error: The object does not exist"
    assert door.get(pipe_world.inactive, owner) == DP + "Data pipe is not active"


def test_get_of_an_active_pipe_without_config_is_not_filled(door, pipe_world):
    assert door.get(pipe_world.public, pipe_world.tokens["owner"]) == DP + "Data pipe is not filled"


def test_every_operation_answers_the_feature_flag_error_when_datapipe_is_off(door, pipe_world, flags, app):
    owner = pipe_world.tokens["owner"]
    assert door.set(pipe_world.public, config_bytes("last_value"), owner) is None
    flags(PU_FF_DATAPIPE_ENABLE=False)
    assert door.check(config_bytes("last_value")) == FLAG_OFF
    assert door.check(b"\xff") == FLAG_OFF
    assert door.set(pipe_world.public, config_bytes("n_records"), owner) == FLAG_OFF
    assert door.set(pipe_world.public, config_bytes("n_records")) == FLAG_OFF
    assert door.get(pipe_world.public, owner) == FLAG_OFF
    assert json.loads(stored(app, pipe_world.public)[0])["processing_policy"]["policy_type"] == "LastValue"
