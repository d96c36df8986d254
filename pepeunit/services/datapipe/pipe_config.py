"""A node's parsed DataPipe config, and its stored JSON form (``units_nodes.data_pipe_yml``).

The stored form is v1.2's: a JSON object with every key present (``null`` where unset), enums
as their values and datetimes in ISO 8601. We always store datetimes with their UTC offset, so
every stored config can run (v1.2 stored naive ones its pipeline could not parse, Q2).
Validating user YAML into this shape is ``validation.py``'s job; this module trusts its input.
"""
from __future__ import annotations

import enum
import json
from dataclasses import asdict, dataclass, fields
from datetime import datetime, timezone

from ...models.enums import (
    ActivePeriodType,
    AggregationFunctions,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
)

# v1.2's allowed TimeWindow / Aggregation sizes (seconds); each divides 86400.
TIME_WINDOW_SIZES = (60, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 14400, 21600, 28800, 43200, 86400)


class StoredConfigError(ValueError):
    """A stored config that cannot run; the message is written to ``data_pipe_error``."""


@dataclass(frozen=True, kw_only=True)
class ActivePeriod:
    """Fields in v1.2's order, which is the order of the stored JSON and the YAML shown back."""

    type: ActivePeriodType
    start: datetime | None = None  # aware UTC
    end: datetime | None = None


@dataclass(frozen=True, kw_only=True)
class Filters:
    type_input_value: TypeInputValue
    type_value_filtering: TypeValueFiltering | None = None
    filtering_values: tuple | None = None  # str or numbers, as configured
    type_value_threshold: TypeValueThreshold | None = None
    threshold_min: int | None = None
    threshold_max: int | None = None
    max_rate: int
    last_unique_check: bool = False
    max_size: int


@dataclass(frozen=True, kw_only=True)
class Transformations:
    multiplication_ratio: float | None = None
    round_decimal_point: int | None = None
    slice_start: int | None = None
    slice_end: int | None = None


@dataclass(frozen=True, kw_only=True)
class ProcessingPolicy:
    policy_type: ProcessingPolicyType
    n_records_count: int | None = None
    time_window_size: int | None = None
    aggregation_functions: AggregationFunctions | None = None


@dataclass(frozen=True, kw_only=True)
class PipeConfig:
    active_period: ActivePeriod
    filters: Filters
    transformations: Transformations | None = None
    processing_policy: ProcessingPolicy

    def to_stored(self) -> str:
        """The JSON text kept in ``units_nodes.data_pipe_yml``."""
        return json.dumps(_plain(asdict(self)), allow_nan=False)

    @classmethod
    def from_stored(cls, text: str | None) -> PipeConfig:
        """Parse a stored config; ``StoredConfigError`` says why one cannot run."""
        if not text:
            raise StoredConfigError("Data pipe is not filled")
        try:
            data = json.loads(text)
            transformations = data.get("transformations")
            return cls(
                active_period=_build(ActivePeriod, data["active_period"], _ACTIVE_PERIOD_TYPES),
                filters=_build(Filters, data["filters"], _FILTER_TYPES),
                processing_policy=_build(ProcessingPolicy, data["processing_policy"], _POLICY_TYPES),
                transformations=_build(Transformations, transformations, {}) if transformations else None,
            )
        except StoredConfigError:
            raise
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            raise StoredConfigError(f"Stored data pipe config cannot run: {exc!r}") from None


_ACTIVE_PERIOD_TYPES = {"type": ActivePeriodType, "start": "datetime", "end": "datetime"}
_FILTER_TYPES = {
    "type_input_value": TypeInputValue,
    "type_value_filtering": TypeValueFiltering,
    "type_value_threshold": TypeValueThreshold,
    "filtering_values": "tuple",
}
_POLICY_TYPES = {"policy_type": ProcessingPolicyType, "aggregation_functions": AggregationFunctions}


def _build(cls, data: dict, converters: dict):
    if not isinstance(data, dict):
        raise StoredConfigError(f"Stored data pipe config cannot run: {cls.__name__} is not an object")
    values = {}
    for f in fields(cls):
        if f.name not in data:
            continue
        value, convert = data[f.name], converters.get(f.name)
        if value is not None and convert is not None:
            if convert == "datetime":
                value = _aware(datetime.fromisoformat(value))
            elif convert == "tuple":
                value = tuple(value)
            else:
                value = convert(value)
        values[f.name] = value
    return cls(**values)


def _aware(moment: datetime) -> datetime:
    return moment.replace(tzinfo=timezone.utc) if moment.tzinfo is None else moment.astimezone(timezone.utc)


def _plain(value):
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, datetime):
        return _aware(value).isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    return value


def stored_policy(text: str | None) -> ProcessingPolicy | None:
    """The processing policy of a stored config, or None when that config cannot run."""
    try:
        return PipeConfig.from_stored(text).processing_policy
    except StoredConfigError:
        return None


def n_records_count(text: str | None) -> int | None:
    """A stored config's NRecords N (what a reader may see), or None when it is not a runnable NRecords pipe."""
    policy = stored_policy(text)
    if policy is None or policy.policy_type is not ProcessingPolicyType.N_RECORDS:
        return None
    return policy.n_records_count


DEFAULT_LAST_VALUE = PipeConfig(
    active_period=ActivePeriod(type=ActivePeriodType.PERMANENT),
    filters=Filters(type_input_value=TypeInputValue.TEXT, max_rate=5, max_size=100),
    processing_policy=ProcessingPolicy(policy_type=ProcessingPolicyType.LAST_VALUE),
)
