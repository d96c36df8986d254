"""The pure pipeline (services/datapipe/pipeline.py): spec §4.3-4.5, accepted and rejected values."""
from __future__ import annotations

import math
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest

from pepeunit.models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
)
from pepeunit.services.datapipe import pipeline
from pepeunit.services.datapipe.pipe_config import ActivePeriod, Filters, PipeConfig, ProcessingPolicy, Transformations
from pepeunit.services.datapipe.storage import NodeState

NOW = datetime(2026, 5, 1, 13, 47, 31)
NUMBER, TEXT = TypeInputValue.NUMBER, TypeInputValue.TEXT


def config(kind=TEXT, policy=ProcessingPolicyType.N_RECORDS, transformations=None, period=None, **filters):
    filters.setdefault("max_rate", 0)
    filters.setdefault("max_size", 0)
    return PipeConfig(
        active_period=period or ActivePeriod(type=ActivePeriodType.PERMANENT),
        filters=Filters(type_input_value=kind, **filters),
        transformations=transformations,
        processing_policy=ProcessingPolicy(policy_type=policy, n_records_count=10, time_window_size=60,
                                           aggregation_functions=AggregationFunctions.AVG),
    )


def run(cfg, payload, state=None, now=NOW):
    return pipeline.run(cfg, payload, state or NodeState(), now)


# -- numbers: Go strconv.ParseFloat ---------------------------------------------------------------

@pytest.mark.parametrize("text, value", [
    ("5", 5.0), ("+5", 5.0), ("-5", -5.0), ("1e3", 1000.0), ("1E-2", 0.01), (".5", 0.5), ("5.", 5.0),
    ("1_000", 1000.0), ("1_000.5", 1000.5), ("1e1_0", 1e10), ("12.30", 12.3), ("00012", 12.0),
    ("0x1p4", 16.0), ("0X1P4", 16.0), ("-0x1p-2", -0.25), ("0x1.8p1", 3.0), ("0x_1p4", 16.0),
    ("inf", math.inf), ("+Inf", math.inf), ("-infinity", -math.inf), ("INFINITY", math.inf),
    ("1e-400", 0.0),
])
def test_numbers_go_accepts(text, value):
    assert pipeline.parse_number(text) == value


@pytest.mark.parametrize("text", ["nan", "NaN", "nAN"])
def test_nan_is_a_number(text):
    assert math.isnan(pipeline.parse_number(text))


@pytest.mark.parametrize("text", [
    "", " 3 ", "3 ", " 3", "12,5", "0x10", "0x1", "1e400", "-1e400", "0x1p2000", "+nan", "-nan", "infin",
    "infinityx", "1__0", "_1", "1_", "1_.5", "1._5", "1e_1", ".", "+", "e5", "1e", "1e+", "0x.p1", "0xp1",
    "0b1", "0o7", "abc", "1.2.3", "\u0661\u0662", "\uff11", "5f", "--5", "1e5.0",
])
def test_numbers_go_rejects(text):
    assert pipeline.parse_number(text) is None


@pytest.mark.parametrize("value, decimals, text", [
    (2.5, 0, "2"), (3.5, 0, "4"), (1.005, 2, "1.00"), (12.5 * 0.7, 6, "8.750000"), (5.0, 3, "5.000"),
    (0.125, 2, "0.12"), (-0.0, 1, "-0.0"), (math.nan, 2, "NaN"), (math.inf, 1, "+Inf"), (-math.inf, 0, "-Inf"),
])
def test_format_like_go(value, decimals, text):
    assert pipeline.format_fixed(value, decimals) == text


# -- active period (strict) ------------------------------------------------------------------------

def _at(offset_seconds):
    return (NOW + timedelta(seconds=offset_seconds)).replace(tzinfo=timezone.utc)


@pytest.mark.parametrize("period, active", [
    (ActivePeriod(type=ActivePeriodType.PERMANENT, start=_at(10), end=_at(-10)), True),
    (ActivePeriod(type=ActivePeriodType.FROM_DATE, start=_at(-1)), True),
    (ActivePeriod(type=ActivePeriodType.FROM_DATE, start=_at(0)), False),
    (ActivePeriod(type=ActivePeriodType.FROM_DATE, start=_at(1)), False),
    (ActivePeriod(type=ActivePeriodType.FROM_DATE), False),
    (ActivePeriod(type=ActivePeriodType.TO_DATE, end=_at(1)), True),
    (ActivePeriod(type=ActivePeriodType.TO_DATE, end=_at(0)), False),
    (ActivePeriod(type=ActivePeriodType.TO_DATE), False),
    (ActivePeriod(type=ActivePeriodType.DATE_RANGE, start=_at(-1), end=_at(1)), True),
    (ActivePeriod(type=ActivePeriodType.DATE_RANGE, start=_at(0), end=_at(1)), False),
    (ActivePeriod(type=ActivePeriodType.DATE_RANGE, start=_at(-1), end=_at(0)), False),
    (ActivePeriod(type=ActivePeriodType.DATE_RANGE, start=_at(-1)), False),
    (ActivePeriod(type=ActivePeriodType.FROM_DATE,
                  start=(NOW - timedelta(hours=1)).replace(tzinfo=timezone(timedelta(hours=2)))), True),
])
def test_active_period(period, active):
    cfg = config(period=period)
    assert pipeline.is_active(cfg, NOW) is active
    assert run(cfg, "x").dropped == (None if active else pipeline.INACTIVE)


# -- filters, in order -------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, filtering, values, payload, dropped", [
    (TEXT, TypeValueFiltering.WHITE_LIST, ("one", "two"), "one", None),
    (TEXT, TypeValueFiltering.WHITE_LIST, ("one", "two"), "One", pipeline.LIST),
    (TEXT, TypeValueFiltering.WHITE_LIST, ("one",), " one", pipeline.LIST),
    (TEXT, TypeValueFiltering.WHITE_LIST, (1, 2), "1", pipeline.LIST),
    (TEXT, TypeValueFiltering.BLACK_LIST, ("one", "two"), "two", pipeline.LIST),
    (TEXT, TypeValueFiltering.BLACK_LIST, ("one", "two"), "three", None),
    (TEXT, TypeValueFiltering.WHITE_LIST, None, "x", pipeline.LIST),
    (TEXT, TypeValueFiltering.WHITE_LIST, (), "x", pipeline.LIST),
    (TEXT, TypeValueFiltering.BLACK_LIST, None, "x", None),
    (NUMBER, TypeValueFiltering.WHITE_LIST, (12.3, 5), "12.30", None),
    (NUMBER, TypeValueFiltering.WHITE_LIST, (12.3, 5), "5e0", None),
    (NUMBER, TypeValueFiltering.WHITE_LIST, (12.3,), "12.31", pipeline.LIST),
    (NUMBER, TypeValueFiltering.BLACK_LIST, (12.3, 432, 134.5234), "432", pipeline.LIST),
    (NUMBER, TypeValueFiltering.BLACK_LIST, (12.3, 432), "433", None),
    (NUMBER, TypeValueFiltering.WHITE_LIST, ("5",), "5", pipeline.LIST),
    (NUMBER, None, (5,), "7", None),
])
def test_list_filter(kind, filtering, values, payload, dropped):
    cfg = config(kind, type_value_filtering=filtering, filtering_values=values)
    assert run(cfg, payload).dropped == dropped


@pytest.mark.parametrize("kind, payload", [(NUMBER, "abc"), (NUMBER, " 5"), (NUMBER, "12,5"), (NUMBER, "")])
def test_number_pipe_drops_what_is_not_a_number(kind, payload):
    """Q3: whatever the policy (v1.2 stored them except for Aggregation)."""
    for policy in ProcessingPolicyType:
        assert run(config(kind, policy=policy), payload).dropped == pipeline.NOT_A_NUMBER


@pytest.mark.parametrize("threshold, low, high, payload, dropped", [
    (TypeValueThreshold.MIN, 0, None, "0", None),
    (TypeValueThreshold.MIN, 0, None, "-0.001", pipeline.THRESHOLD),
    (TypeValueThreshold.MAX, None, 10, "10", None),
    (TypeValueThreshold.MAX, None, 10, "10.5", pipeline.THRESHOLD),
    (TypeValueThreshold.RANGE, -60, 1000000, "-60", None),
    (TypeValueThreshold.RANGE, -60, 1000000, "1000000", None),
    (TypeValueThreshold.RANGE, -60, 1000000, "-61", pipeline.THRESHOLD),
    (TypeValueThreshold.RANGE, -60, 1000000, "1e7", pipeline.THRESHOLD),
    (TypeValueThreshold.MIN, None, None, "-5", None),  # a null bound is skipped
    (TypeValueThreshold.RANGE, 0, 10, "nan", None),  # NaN compares false, as in Go
])
def test_threshold_number(threshold, low, high, payload, dropped):
    cfg = config(NUMBER, type_value_threshold=threshold, threshold_min=low, threshold_max=high)
    assert run(cfg, payload).dropped == dropped


def test_threshold_ignored_for_text():
    """Q5: v1.2 applied a Text config's unvalidated thresholds to numeric-looking text; we ignore them."""
    cfg = config(TEXT, type_value_threshold=TypeValueThreshold.MIN, threshold_min=100)
    assert run(cfg, "5").dropped is None
    assert run(cfg, "hello").dropped is None


def test_max_rate_counts_from_the_last_accepted_message():
    cfg = config(max_rate=5)
    assert run(cfg, "a", NodeState()).dropped is None
    state = NodeState(last_message_datetime=NOW - timedelta(seconds=4.999), last_value="a")
    assert run(cfg, "b", state).dropped == pipeline.MAX_RATE
    state = NodeState(last_message_datetime=NOW - timedelta(seconds=5), last_value="a")
    assert run(cfg, "b", state).dropped is None
    assert run(config(max_rate=0), "b", NodeState(NOW, "a")).dropped is None


def test_max_size_counts_bytes():
    cfg = config(max_size=4)
    assert run(cfg, "abcd").dropped is None
    assert run(cfg, "abcde").dropped == pipeline.MAX_SIZE
    assert run(cfg, "ééé").dropped == pipeline.MAX_SIZE  # 6 bytes, 3 characters (Q10)
    assert run(cfg, "éé").dropped is None
    assert run(config(max_size=0), "x" * 100000).dropped is None


def test_last_unique_compares_transformed_values():
    """Q4: v1.2 compared the raw payload with the previous transformed value."""
    cfg = config(last_unique_check=True, transformations=Transformations(slice_start=0, slice_end=3))
    first = run(cfg, "hello")
    assert first.value == "hel"
    assert run(cfg, "help", NodeState(NOW - timedelta(seconds=1), first.value)).dropped == pipeline.NOT_UNIQUE
    assert run(cfg, "world", NodeState(NOW - timedelta(seconds=1), first.value)).value == "wor"
    number = config(NUMBER, last_unique_check=True, transformations=Transformations(round_decimal_point=1))
    assert run(number, "2.04", NodeState(NOW, "2.0")).dropped == pipeline.NOT_UNIQUE
    assert run(number, "2.06", NodeState(NOW, "2.0")).value == "2.1"


def test_last_unique_starts_from_empty_text():
    cfg = config(last_unique_check=True)
    assert run(cfg, "").dropped == pipeline.NOT_UNIQUE
    assert run(cfg, "x").dropped is None
    assert run(config(), "").dropped is None


def test_filters_run_in_v12_order():
    cfg = config(TEXT, type_value_filtering=TypeValueFiltering.BLACK_LIST, filtering_values=("abcdef",),
                 max_rate=10, max_size=3, last_unique_check=True)
    state = NodeState(NOW - timedelta(seconds=1), "abcdef")
    assert run(cfg, "abcdef", state).dropped == pipeline.LIST
    assert run(cfg, "abcdefg", state).dropped == pipeline.MAX_RATE
    assert run(cfg, "abcdefg", replace(state, last_message_datetime=None)).dropped == pipeline.MAX_SIZE


# -- transformations -----------------------------------------------------------------------------

@pytest.mark.parametrize("ratio, decimals, payload, value", [
    (0.7, None, "12.5", "8.750000"),
    (1.0, None, "5", "5.000000"),
    (None, 3, "5", "5.000"),
    (None, 0, "2.5", "2"),
    (None, 0, "3.5", "4"),
    (None, 2, "1.005", "1.00"),
    (0.7, 3, "12.5", "8.750"),
    (1.0, 0, "1e3", "1000"),
    (2.0, None, "0x1p4", "32.000000"),
    (None, None, "+5", "+5"),
    (math.inf, None, "2", "+Inf"),
    (math.nan, 2, "2", "NaN"),
    (None, 7, "0.1", "0.1000000"),
])
def test_number_transformations(ratio, decimals, payload, value):
    steps = Transformations(multiplication_ratio=ratio, round_decimal_point=decimals, slice_start=0, slice_end=1)
    assert run(config(NUMBER, transformations=steps), payload).value == value


@pytest.mark.parametrize("start, end, payload, value", [
    (0, 100, "hello", "hello"),
    (1, 3, "hello", "el"),
    (-3, None, "hello", "llo"),
    (None, -1, "hello", "hell"),
    (3, 1, "hello", ""),
    (2, 2, "hello", ""),
    (-100, 100, "hello", "hello"),
    (None, None, "hello", "hello"),
    (0, 2, "héllo", "hé"),  # characters, never half a UTF-8 sequence (Q10)
    (1, 2, "日本語", "本"),
])
def test_text_slices(start, end, payload, value):
    steps = Transformations(slice_start=start, slice_end=end, multiplication_ratio=2.0, round_decimal_point=1)
    assert run(config(TEXT, transformations=steps), payload).value == value


def test_aggregation_needs_a_number_after_transformations():
    cfg = config(TEXT, policy=ProcessingPolicyType.AGGREGATION)
    assert run(cfg, "12.5").number == 12.5
    assert run(cfg, "warm").dropped == pipeline.NOT_A_NUMBER
    number = config(NUMBER, policy=ProcessingPolicyType.AGGREGATION,
                    transformations=Transformations(multiplication_ratio=0.5))
    decision = run(number, "3")
    assert (decision.value, decision.number) == ("1.500000", 1.5)


# -- aggregation windows ------------------------------------------------------------------------

@pytest.mark.parametrize("size, start", [
    (60, datetime(2026, 5, 1, 13, 47)), (300, datetime(2026, 5, 1, 13, 45)),
    (14400, datetime(2026, 5, 1, 12, 0)), (86400, datetime(2026, 5, 1)),
])
def test_windows_are_utc_midnight_aligned(size, start):
    assert pipeline.window_start(NOW, size) == start


def test_a_boundary_opens_the_next_window():
    assert pipeline.window_start(datetime(2026, 5, 1, 13, 48), 60) == datetime(2026, 5, 1, 13, 48)
    assert pipeline.window_start(datetime(2026, 5, 1, 13, 47, 59, 999999), 60) == datetime(2026, 5, 1, 13, 47)


def test_configs_missing_a_policy_field_cannot_run():
    base = config()
    assert pipeline.cannot_run(base) is None
    policy = base.processing_policy
    for changed, reason in [
        (replace(policy, n_records_count=None), "n_records_count is required for N_RECORDS"),
        (replace(policy, policy_type=ProcessingPolicyType.TIME_WINDOW, time_window_size=61), "time_window_size"),
        (replace(policy, policy_type=ProcessingPolicyType.AGGREGATION, aggregation_functions=None),
         "aggregation_functions is required for AGGREGATION"),
    ]:
        assert reason in pipeline.cannot_run(replace(base, processing_policy=changed))
    assert pipeline.cannot_run(replace(base, processing_policy=replace(
        policy, policy_type=ProcessingPolicyType.LAST_VALUE, n_records_count=None))) is None
