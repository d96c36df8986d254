"""Validating an uploaded DataPipe YAML: v1.2's rules, order and texts; field names in messages (Q16);
naive datetimes as UTC and finite ratios (Q2, Q17); unsafe or broken files refused as a whole."""
from __future__ import annotations

import copy
import json
import re
from datetime import datetime, timezone

import pytest
import yaml

from pepeunit.errors import DataPipeError
from pepeunit.models import DataPipeStage
from pepeunit.services.datapipe.documents import MAX_CONFIG_BYTES, stored_to_yaml
from pepeunit.services.datapipe.pipe_config import DEFAULT_LAST_VALUE, PipeConfig
from pepeunit.services.datapipe.validation import validate

from .doors import config_bytes

AP, FI, TR, PP = (DataPipeStage.ACTIVE_PERIOD, DataPipeStage.FILTERS, DataPipeStage.TRANSFORMATIONS,
                  DataPipeStage.PROCESSING_POLICY)
BASE = {
    "active_period": {"type": "Permanent"},
    "filters": {"type_input_value": "Number", "max_rate": 0, "max_size": 100},
    "transformations": None,
    "processing_policy": {"policy_type": "LastValue"},
}


def problems_of(document, max_payload_kb: int = 256) -> list[tuple[DataPipeStage, str]]:
    raw = document if isinstance(document, bytes) else yaml.safe_dump(document).encode()
    return [(p.stage, p.message) for p in validate(raw, max_payload_kb)[1]]


def changed(section: str, **values) -> dict:
    document = copy.deepcopy(BASE)
    if document[section] is None:
        document[section] = {}
    document[section].update(values)
    for name in [k for k, v in values.items() if v is _DROP]:
        del document[section][name]
    return document


_DROP = object()


@pytest.mark.parametrize("name", ["aggregation", "last_value", "n_records", "time_window"])
def test_the_four_reference_configs_are_valid(name):
    config, problems = validate(config_bytes(name), 256)
    assert problems == [] and isinstance(config, PipeConfig)


def test_bad_config_gives_exactly_the_two_v12_errors():
    assert problems_of(config_bytes("bad")) == [
        (AP, "Value error, start and end must be provided for DATE_RANGE"),
        (FI, "max_rate: Input should be greater than or equal to 0"),
    ]


@pytest.mark.parametrize("document,expected", [
    # active_period
    (changed("active_period", type="FromDate"), [(AP, "Value error, start must be provided for FROM_DATE")]),
    (changed("active_period", type="ToDate"), [(AP, "Value error, end must be provided for TO_DATE")]),
    (changed("active_period", type="DateRange", end="2030-01-01T00:00:00Z"),
     [(AP, "Value error, start and end must be provided for DATE_RANGE")]),
    (changed("active_period", type="DateRange", start="2030-01-02T00:00:00Z", end="2030-01-01T00:00:00Z"),
     [(AP, "Value error, start must be before end for DATE_RANGE")]),
    (changed("active_period", type="Always"),
     [(AP, "type: Input should be 'Permanent', 'FromDate', 'ToDate' or 'DateRange'")]),
    (changed("active_period", type="FromDate", start="yesterday"),
     [(AP, "start: Input should be a valid datetime or date, invalid datetime format")]),
    # filters: field errors
    (changed("filters", type_input_value="Json"), [(FI, "type_input_value: Input should be 'Text' or 'Number'")]),
    (changed("filters", max_rate=_DROP), [(FI, "max_rate: Field required")]),
    (changed("filters", max_rate=86401), [(FI, "max_rate: Input should be less than or equal to 86400")]),
    (changed("filters", max_rate=2.5),
     [(FI, "max_rate: Input should be a valid integer, got a number with a fractional part")]),
    (changed("filters", max_size=-1), [(FI, "max_size: Input should be greater than or equal to 0")]),
    (changed("filters", threshold_min=10.5),
     [(FI, "threshold_min: Input should be a valid integer, got a number with a fractional part")]),
    (changed("filters", last_unique_check="perhaps"),
     [(FI, "last_unique_check: Input should be a valid boolean, unable to interpret input")]),
    (changed("filters", filtering_values="1,2"), [(FI, "filtering_values: Input should be a valid list")]),
    (changed("filters", type_value_filtering="GreyList"),
     [(FI, "type_value_filtering: Input should be 'WhiteList' or 'BlackList'")]),
    (changed("filters", type_value_threshold="Between"),
     [(FI, "type_value_threshold: Input should be 'Min', 'Max' or 'Range'")]),
    # filters: the section's own checks, first failing one wins
    (changed("filters", type_value_filtering="WhiteList", filtering_values=["1", 2]),
     [(FI, "Value error, filtering_values must be numeric for NUMBER input")]),
    (changed("filters", type_input_value="Text", type_value_filtering="BlackList", filtering_values=["a", 2]),
     [(FI, "Value error, filtering_values must be strings for TEXT input")]),
    (changed("filters", type_value_threshold="Min"), [(FI, "Value error, threshold_min is required for MIN threshold")]),
    (changed("filters", type_value_threshold="Max"), [(FI, "Value error, threshold_max is required for MAX threshold")]),
    (changed("filters", type_value_threshold="Range", threshold_min=1),
     [(FI, "Value error, Both threshold_min and threshold_max are required for RANGE threshold")]),
    (changed("filters", type_value_threshold="Range", threshold_min=5, threshold_max=5),
     [(FI, "Value error, threshold_min must be less than threshold_max")]),
    (changed("filters", max_size=262145), [(FI, "Value error, max_size must be <= 262144")]),
    (changed("filters", type_value_filtering="WhiteList", filtering_values=["x"], type_value_threshold="Min",
             max_size=262145), [(FI, "Value error, filtering_values must be numeric for NUMBER input")]),
    (changed("filters", type_value_threshold="Min", max_size=262145),
     [(FI, "Value error, threshold_min is required for MIN threshold")]),
    # transformations
    (changed("transformations", round_decimal_point=8),
     [(TR, "round_decimal_point: Input should be less than or equal to 7")]),
    (changed("transformations", multiplication_ratio="twice"),
     [(TR, "multiplication_ratio: Input should be a valid number, unable to parse string as a number")]),
    (changed("transformations", slice_start="x"),
     [(TR, "slice_start: Input should be a valid integer, unable to parse string as an integer")]),
    # processing_policy
    (changed("processing_policy", policy_type="Everything"),
     [(PP, "policy_type: Input should be 'LastValue', 'NRecords', 'TimeWindow' or 'Aggregation'")]),
    (changed("processing_policy", policy_type="NRecords"), [(PP, "Value error, n_records_count is required for N_RECORDS")]),
    (changed("processing_policy", policy_type="NRecords", n_records_count=1025),
     [(PP, "Value error, n_records_count must be between 1 and 1024")]),
    (changed("processing_policy", policy_type="TimeWindow"), [(PP, "Value error, time_window_size is required")]),
    (changed("processing_policy", policy_type="Aggregation", time_window_size=61),
     [(PP, "Value error, Invalid time_window_size. Must be one of: [60, 300, 600, 900, 1200, 1800, 3600, 7200, "
           "10800, 14400, 21600, 28800, 43200, 86400]")]),
    (changed("processing_policy", policy_type="Aggregation", time_window_size=60),
     [(PP, "Value error, aggregation_functions is required for AGGREGATION")]),
    (changed("processing_policy", aggregation_functions="Median"),
     [(PP, "aggregation_functions: Input should be 'Avg', 'Min', 'Max' or 'Sum'")]),
])
def test_each_message(document, expected):
    assert problems_of(document) == expected


def test_sections_in_order_field_errors_hide_the_sections_own_checks():
    document = {"filters": {"type_input_value": "Text", "type_value_filtering": "WhiteList",
                            "filtering_values": [1], "max_rate": -5},
                "transformations": {"round_decimal_point": -1}, "processing_policy": "LastValue"}
    assert problems_of(document) == [
        (AP, "Field required"),
        (FI, "max_rate: Input should be greater than or equal to 0"),
        (FI, "max_size: Field required"),
        (TR, "round_decimal_point: Input should be greater than or equal to 0"),
        (PP, "Input should be a valid dictionary or instance of ProcessingPolicy"),
    ]


def test_lax_values_are_coerced_like_v12_and_other_policies_fields_are_kept():
    document = changed("filters", max_rate="10", max_size=50.0, threshold_max=7.0, last_unique_check="yes")
    document["processing_policy"] = {"policy_type": "LastValue", "n_records_count": 5000, "time_window_size": 7}
    document["unknown_section"] = {"anything": 1}
    config, problems = validate(yaml.safe_dump(document).encode(), 256)
    assert problems == []
    assert (config.filters.max_rate, config.filters.max_size, config.filters.threshold_max) == (10, 50, 7)
    assert config.filters.last_unique_check is True
    assert config.processing_policy.n_records_count == 5000 and config.processing_policy.time_window_size == 7
    assert "unknown_section" not in json.loads(config.to_stored())


def test_thresholds_of_a_text_pipe_are_accepted_unchecked():
    """Q5 kept: v1.2 checks thresholds for Number only; the pipeline applies them to numeric payloads."""
    config, problems = validate(yaml.safe_dump(changed("filters", type_input_value="Text",
                                                       type_value_threshold="Min")).encode(), 256)
    assert problems == [] and config.filters.threshold_min is None


def test_max_size_limit_follows_the_mqtt_payload_setting():
    assert problems_of(changed("filters", max_size=2049), max_payload_kb=2) == [
        (FI, "Value error, max_size must be <= 2048")]


def test_naive_datetimes_are_utc_and_mix_with_aware_ones():
    """Q2/Q17: v1.2 crashed comparing naive with aware values and stored naive ones its pipeline could not read."""
    raw = (b"active_period:\n  type: DateRange\n  start: 2030-01-01 10:00:00\n  end: 2030-01-01T12:00:00+01:00\n"
           b"filters: {type_input_value: Text, max_rate: 0, max_size: 10}\nprocessing_policy: {policy_type: LastValue}\n")
    config, problems = validate(raw, 256)
    assert problems == []
    assert config.active_period.start == datetime(2030, 1, 1, 10, tzinfo=timezone.utc)
    stored = json.loads(config.to_stored())["active_period"]
    assert stored == {"type": "DateRange", "start": "2030-01-01T10:00:00+00:00", "end": "2030-01-01T11:00:00+00:00"}
    backwards = raw.replace(b"12:00:00+01:00", b"10:30:00+01:00")
    assert problems_of(backwards) == [(AP, "Value error, start must be before end for DATE_RANGE")]
    assert PipeConfig.from_stored(config.to_stored()) == config


@pytest.mark.parametrize("ratio", [".inf", "-.inf", ".nan", "'inf'"])
def test_non_finite_ratio_is_refused(ratio):
    """Q17: v1.2 stored Infinity/NaN, which is not JSON its pipeline could read."""
    raw = yaml.safe_dump(BASE).encode().replace(b"transformations: null",
                                                b"transformations: {multiplication_ratio: " + ratio.encode() + b"}")
    assert problems_of(raw) == [(TR, "multiplication_ratio: Input should be a finite number")]


@pytest.mark.parametrize("raw,message", [
    (b"", "DataPipe is None"),
    (b"# only a comment\n", "DataPipe is None"),
    (b"- active_period\n- filters\n", "DataPipe config must be a YAML mapping of the sections active_period, "
                                      "filters, transformations and processing_policy"),
    (b"just text", "DataPipe config must be a YAML mapping of the sections active_period, filters, "
                   "transformations and processing_policy"),
    (b"filters: [unclosed\n", "DataPipe config is not valid YAML: .* at line 2, column 1"),
    (b"a: 1\n---\nb: 2\n", "DataPipe config is not valid YAML: .* at line 2, column 1"),
    (b"\xff\xfe\x00filters", "DataPipe config is not valid UTF-8"),
    (b"a: &x [1, 2]\nb: *x\n", "DataPipe config must not use YAML aliases"),
    (b"x: " + b"[" * 40 + b"]" * 40 + b"\n", "DataPipe config is nested deeper than 16 levels"),
    (b"#" * (MAX_CONFIG_BYTES + 1), f"DataPipe config is larger than {MAX_CONFIG_BYTES} bytes"),
])
def test_files_that_are_not_a_yaml_mapping_are_refused_whole(raw, message):
    with pytest.raises(DataPipeError) as caught:
        validate(raw, 256)
    assert re.fullmatch(re.escape("422: 8: DataPipe Validation Error: ") + message.replace("[", r"\["),
                        caught.value.message), caught.value.message


def test_billion_laughs_is_refused_quickly():
    lines = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    with pytest.raises(DataPipeError, match="must not use YAML aliases"):
        validate("\n".join(lines).encode(), 256)


def test_shown_yaml_drops_nulls_keeps_order_quotes_datetimes_and_float_points():
    config, _ = validate(config_bytes("aggregation"), 256)
    text = stored_to_yaml(config.to_stored())
    assert text.startswith("active_period:\n  type: Permanent\n  start: '2024-03-01T00:00:00+00:00'\nfilters:\n")
    assert "  multiplication_ratio: 1.0\n" in text and "null" not in text
    assert stored_to_yaml(DEFAULT_LAST_VALUE.to_stored()) == (
        "active_period:\n  type: Permanent\nfilters:\n  type_input_value: Text\n  max_rate: 5\n"
        "  last_unique_check: false\n  max_size: 100\nprocessing_policy:\n  policy_type: LastValue\n")
    unicode_config = validate("active_period: {type: Permanent}\nfilters: {type_input_value: Text, "
                              "type_value_filtering: WhiteList, filtering_values: [привет], max_rate: 0, max_size: 9}\n"
                              "processing_policy: {policy_type: LastValue}\n".encode(), 256)[0]
    assert "  - привет\n" in stored_to_yaml(unicode_config.to_stored())
