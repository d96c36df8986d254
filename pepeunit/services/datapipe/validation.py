"""A user's DataPipe YAML -> ``PipeConfig``, or the list of what is wrong with it.

v1.2 validated the config with pydantic; we keep its rules, its order and its texts
(datapipe-grafana.md §2.2-2.3) without the dependency:
- sections in order ``active_period``, ``filters``, ``transformations``, ``processing_policy``;
- a section's own checks (the ``Value error, ...`` texts) run only when all its fields are valid,
  and within ``filters`` the first failing check wins (list, thresholds, max_size);
- field values are coerced the way pydantic's lax mode does (``"5"`` and ``5.0`` are the int 5,
  ``5.5`` is refused), with pydantic's texts.
Our changes: a field error names its field (``max_rate: Input should be ...``, Q16); naive
datetimes are UTC, so naive and aware ones compare (Q17) and every stored config can run (Q2);
``multiplication_ratio`` must be finite (Q17). Reading the file itself (size, UTF-8, YAML without
aliases or deep nesting) is ``documents.load_document``'s job.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, timezone

from ...models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    DataPipeStage,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
)
from .documents import load_document
from .pipe_config import (
    TIME_WINDOW_SIZES,
    ActivePeriod,
    Filters,
    PipeConfig,
    ProcessingPolicy,
    Transformations,
)

N_RECORDS_MAX = 1024
MAX_RATE_MAX = 86400
ROUND_DECIMAL_MAX = 7

_BOOL_TEXT = {"true": True, "t": True, "yes": True, "y": True, "on": True, "1": True,
              "false": False, "f": False, "no": False, "n": False, "off": False, "0": False}


@dataclass(frozen=True)
class ConfigProblem:
    """One error of ``checkDataPipeConfig``: its stage and its message."""

    stage: DataPipeStage
    message: str


class _Invalid(Exception):
    """A field value pydantic would refuse; the text is pydantic's."""


# ----------------------------------------------------------------------- validating
def validate(source, max_payload_kb: int) -> tuple[PipeConfig | None, list[ConfigProblem]]:
    """``(config, [])`` when valid, else ``(None, problems)`` in v1.2's order.

    ``max_payload_kb`` is ``PU_MQTT_MAX_PAYLOAD_SIZE``: ``max_size`` may not exceed it.
    """
    document = load_document(source)
    problems: list[ConfigProblem] = []
    active_period = _section(document, "active_period", DataPipeStage.ACTIVE_PERIOD, problems,
                             _active_period, required=True)
    filters = _section(document, "filters", DataPipeStage.FILTERS, problems,
                       lambda data: _filters(data, max_payload_kb * 1024), required=True)
    transformations = _section(document, "transformations", DataPipeStage.TRANSFORMATIONS, problems,
                               _transformations, required=False)
    policy = _section(document, "processing_policy", DataPipeStage.PROCESSING_POLICY, problems,
                      _processing_policy, required=True)
    if problems:
        return None, problems
    return PipeConfig(active_period=active_period, filters=filters, transformations=transformations,
                      processing_policy=policy), []


_SECTION_CLASS = {"active_period": "ActivePeriod", "filters": "Filters", "transformations": "Transformations",
                  "processing_policy": "ProcessingPolicy"}


def _section(document: dict, name: str, stage: DataPipeStage, problems: list, build, *, required: bool):
    if name not in document:
        if required:
            problems.append(ConfigProblem(stage, "Field required"))
        return None
    data = document[name]
    if data is None and not required:
        return None
    if not isinstance(data, dict):
        problems.append(ConfigProblem(stage, f"Input should be a valid dictionary or instance of {_SECTION_CLASS[name]}"))
        return None
    fields = _Fields(data)
    built = build(fields)
    if fields.errors:  # field errors hide the section's own checks, as in pydantic
        problems.extend(ConfigProblem(stage, message) for message in fields.errors)
        return None
    if isinstance(built, str):
        problems.append(ConfigProblem(stage, f"Value error, {built}"))
        return None
    return built


class _Fields:
    """Reads a section's fields, collecting one error per bad field (named: Q16)."""

    def __init__(self, data: dict):
        self.data, self.errors, self.values = data, [], {}

    def take(self, name: str, convert, *, required: bool = False, default=None, optional: bool = True):
        if name not in self.data:
            if required:
                self.errors.append(f"{name}: Field required")
            self.values[name] = default
            return default
        value = self.data[name]
        if value is None and optional and not required:
            self.values[name] = None
            return None
        try:
            value = convert(value)
        except _Invalid as exc:
            self.errors.append(f"{name}: {exc}")
            value = None
        except _InvalidItems as exc:
            self.errors.extend(f"{name}.{index}: {text}" for index, text in exc.items)
            value = None
        self.values[name] = value
        return value


class _InvalidItems(Exception):
    def __init__(self, items: list[tuple[int, str]]):
        super().__init__(items)
        self.items = items


# --- field converters (pydantic lax mode) ----------------------------------------
def _enum(kind):
    values = [member.value for member in kind]
    expected = ", ".join(f"'{v}'" for v in values[:-1]) + f" or '{values[-1]}'"

    def convert(value):
        if isinstance(value, str):
            for member in kind:
                if member.value == value:
                    return member
        raise _Invalid(f"Input should be {expected}")

    return convert


def _int(value) -> int:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return int(text)
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                raise _Invalid("Input should be a valid integer, unable to parse string as an integer") from None
    if isinstance(value, float):
        if not math.isfinite(value):
            raise _Invalid("Input should be a finite number")
        if not value.is_integer():
            raise _Invalid("Input should be a valid integer, got a number with a fractional part")
        return int(value)
    raise _Invalid("Input should be a valid integer")


def _bounded_int(low: int | None = None, high: int | None = None):
    def convert(value) -> int:
        number = _int(value)
        if low is not None and number < low:
            raise _Invalid(f"Input should be greater than or equal to {low}")
        if high is not None and number > high:
            raise _Invalid(f"Input should be less than or equal to {high}")
        return number

    return convert


def _finite_float(value) -> float:
    if isinstance(value, (bool, int, float)):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            raise _Invalid("Input should be a valid number, unable to parse string as a number") from None
    else:
        raise _Invalid("Input should be a valid number")
    if not math.isfinite(number):  # v1.2 stored inf/NaN its pipeline could not read (Q17)
        raise _Invalid("Input should be a finite number")
    return number


def _bool(value) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _BOOL_TEXT:
        return _BOOL_TEXT[value.strip().lower()]
    if isinstance(value, (int, float, str)):
        raise _Invalid("Input should be a valid boolean, unable to interpret input")
    raise _Invalid("Input should be a valid boolean")


def _datetime(value) -> datetime:
    """Aware UTC; a naive value is read as UTC (Q2, Q17)."""
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)
    elif isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        try:
            moment = datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            raise _Invalid("Input should be a valid datetime or date, invalid datetime format") from None
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.strip())
        except ValueError:
            raise _Invalid("Input should be a valid datetime or date, invalid datetime format") from None
    else:
        raise _Invalid("Input should be a valid datetime")
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _filtering_values(value) -> tuple:
    if not isinstance(value, list):
        raise _Invalid("Input should be a valid list")
    items, bad = [], []
    for index, item in enumerate(value):
        if isinstance(item, bool):
            items.append(int(item))
        elif isinstance(item, (str, int, float)):
            items.append(item)
        else:
            bad.append((index, "Input should be a valid string, integer or number"))
    if bad:
        raise _InvalidItems(bad)
    return tuple(items)


# --- sections ---------------------------------------------------------------------
def _range_problem(kind, low, high, kinds: tuple, problems: tuple[str, str, str, str]) -> str | None:
    """The bounds a range ``kind`` needs: ``kinds`` is (low bound only, high bound only, both); ``problems``
    the texts for a missing low bound, a missing high bound, a missing bound of both, ``low >= high``."""
    low_only, high_only, both = kinds
    no_low, no_high, no_bounds, unordered = problems
    if kind is low_only and low is None:
        return no_low
    if kind is high_only and high is None:
        return no_high
    if kind is both:
        if low is None or high is None:
            return no_bounds
        if low >= high:
            return unordered
    return None


_PERIOD_KINDS = (ActivePeriodType.FROM_DATE, ActivePeriodType.TO_DATE, ActivePeriodType.DATE_RANGE)
_PERIOD_PROBLEMS = ("start must be provided for FROM_DATE", "end must be provided for TO_DATE",
                    "start and end must be provided for DATE_RANGE", "start must be before end for DATE_RANGE")
_THRESHOLD_KINDS = (TypeValueThreshold.MIN, TypeValueThreshold.MAX, TypeValueThreshold.RANGE)
_THRESHOLD_PROBLEMS = ("threshold_min is required for MIN threshold", "threshold_max is required for MAX threshold",
                       "Both threshold_min and threshold_max are required for RANGE threshold",
                       "threshold_min must be less than threshold_max")


def _active_period(f: _Fields):
    kind = f.take("type", _enum(ActivePeriodType), required=True)
    start = f.take("start", _datetime)
    end = f.take("end", _datetime)
    if f.errors:
        return None
    return _range_problem(kind, start, end, _PERIOD_KINDS, _PERIOD_PROBLEMS) or ActivePeriod(
        type=kind, start=start, end=end)


def _filters(f: _Fields, max_size_limit: int):
    input_type = f.take("type_input_value", _enum(TypeInputValue), required=True)
    filtering = f.take("type_value_filtering", _enum(TypeValueFiltering))
    values = f.take("filtering_values", _filtering_values)
    threshold = f.take("type_value_threshold", _enum(TypeValueThreshold))
    low = f.take("threshold_min", _int)
    high = f.take("threshold_max", _int)
    max_rate = f.take("max_rate", _bounded_int(0, MAX_RATE_MAX), required=True)
    last_unique = f.take("last_unique_check", _bool, default=False, optional=False)
    max_size = f.take("max_size", _bounded_int(0), required=True)
    if f.errors:
        return None
    if values and filtering:
        if input_type is TypeInputValue.NUMBER and not all(_is_number(v) for v in values):
            return "filtering_values must be numeric for NUMBER input"
        if input_type is TypeInputValue.TEXT and not all(isinstance(v, str) for v in values):
            return "filtering_values must be strings for TEXT input"
    # v1.2 checks thresholds for Number only; a Text pipe keeps them and the pipeline applies them
    # to payloads that read as numbers (spec Q5, kept).
    if input_type is TypeInputValue.NUMBER and threshold is not None:
        problem = _range_problem(threshold, low, high, _THRESHOLD_KINDS, _THRESHOLD_PROBLEMS)
        if problem:
            return problem
    if max_size > max_size_limit:
        return f"max_size must be <= {max_size_limit}"
    return Filters(type_input_value=input_type, type_value_filtering=filtering, filtering_values=values,
                   type_value_threshold=threshold, threshold_min=low, threshold_max=high, max_rate=max_rate,
                   last_unique_check=last_unique, max_size=max_size)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _transformations(f: _Fields):
    ratio = f.take("multiplication_ratio", _finite_float)
    decimals = f.take("round_decimal_point", _bounded_int(0, ROUND_DECIMAL_MAX))
    slice_start = f.take("slice_start", _int)
    slice_end = f.take("slice_end", _int)
    if f.errors:
        return None
    return Transformations(multiplication_ratio=ratio, round_decimal_point=decimals, slice_start=slice_start,
                           slice_end=slice_end)


def _processing_policy(f: _Fields):
    kind = f.take("policy_type", _enum(ProcessingPolicyType), required=True)
    count = f.take("n_records_count", _int)
    size = f.take("time_window_size", _int)
    function = f.take("aggregation_functions", _enum(AggregationFunctions))
    if f.errors:
        return None
    if kind is ProcessingPolicyType.N_RECORDS:
        if count is None:
            return "n_records_count is required for N_RECORDS"
        if not 1 <= count <= N_RECORDS_MAX:
            return f"n_records_count must be between 1 and {N_RECORDS_MAX}"
    if kind in (ProcessingPolicyType.TIME_WINDOW, ProcessingPolicyType.AGGREGATION):
        if size is None:
            return "time_window_size is required"
        if size not in TIME_WINDOW_SIZES:
            return f"Invalid time_window_size. Must be one of: {list(TIME_WINDOW_SIZES)}"
    if kind is ProcessingPolicyType.AGGREGATION and function is None:
        return "aggregation_functions is required for AGGREGATION"
    return ProcessingPolicy(policy_type=kind, n_records_count=count, time_window_size=size,
                            aggregation_functions=function)
