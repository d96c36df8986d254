"""A node's stored pipe history for users and units: read it, export it as CSV, replace it from CSV, delete it.

Every call checks, in v1.2's order: the ``PU_FF_DATAPIPE_ENABLE`` flag, the agent type, that the
node exists, then ownership. Reading (and exporting) is for the node's creator or a Unit that may
see the node under the usual visibility rules (v1.2 let any Unit read any node, Q15); replacing
and deleting are for the creator only.

The CSV import is atomic (v1.2 deleted the old rows first and failed half way, Q14): the whole
file is validated, then the history is replaced in one transaction, so a refused file changes
nothing.
"""
from __future__ import annotations

import csv
import io
import re
import uuid as uuid_module
import zipfile
from dataclasses import dataclass, field, fields
from datetime import datetime, timedelta, timezone

from dateutil.relativedelta import relativedelta

from ...errors import DataPipeError, FeatureFlagError
from ...extensions import db, get_settings
from ...models import (
    ActivePeriodType,
    AgentType,
    AggregationFunctions,
    OrderByDate,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
    UnitNode,
)
from ...models.columns import utcnow
from .. import access
from ..agents import Agent
from ..listing import Page
from ..lookup import get_or_not_found
from .pipe_config import PipeConfig, StoredConfigError
from .postgres_store import STORE
from .storage import AggregationRow, LastValueRow, NRecordRow, PipeQuery, TimeWindowRow
from .validation import decode_upload

# The largest CSV file an import accepts (bytes), below the app's 8 MB request cap so the answer
# names the limit. Documented in the README ("History and CSV").
CSV_MAX_BYTES = 5 * 1024 * 1024


# --- access ------------------------------------------------------------------------------------
def require_enabled() -> None:
    if not get_settings().PU_FF_DATAPIPE_ENABLE:
        raise FeatureFlagError()


def _node_for_reader(agent: Agent, node_uuid) -> UnitNode:
    """The node, if ``agent`` is its creator, or a Unit allowed to see it (Private: its own, or permitted)."""
    require_enabled()
    access.require(agent, AgentType.USER, AgentType.UNIT)
    node = get_or_not_found(UnitNode, node_uuid)
    if agent.type is AgentType.UNIT:
        access.require_visible(agent, node)
    else:
        access.require_creator(agent, node)
    return node


def _node_for_creator(agent: Agent, node_uuid) -> UnitNode:
    require_enabled()
    access.require_user(agent)
    node = get_or_not_found(UnitNode, node_uuid)
    access.require_creator(agent, node)
    return node


def _runnable_config(node: UnitNode) -> PipeConfig:
    """The node's pipe config for export and import: active, filled, valid and not LastValue (v1.2)."""
    if not node.is_data_pipe_active:
        raise DataPipeError("Data pipe is not active")
    try:
        config = PipeConfig.from_stored(node.data_pipe_yml)
    except StoredConfigError as exc:
        raise DataPipeError(str(exc)) from None
    if config.processing_policy.policy_type is ProcessingPolicyType.LAST_VALUE:
        raise DataPipeError("LastValue type is not supported on this function")
    return config


def _current_n(node: UnitNode) -> int | None:
    """The node's current NRecords N (what a reader may see), or None when its config is not NRecords."""
    try:
        policy = PipeConfig.from_stored(node.data_pipe_yml).processing_policy
    except StoredConfigError:
        return None
    return policy.n_records_count if policy.policy_type is ProcessingPolicyType.N_RECORDS else None


# --- reading -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class PipeDataFilter:
    """``getPipeData`` / ``get_data_pipe_data/`` filters: the node's ``uuid`` and what to read of it."""

    uuid: uuid_module.UUID
    type: ProcessingPolicyType
    page: Page = Page()
    search_string: str | None = None
    aggregation_type: list | None = field(default_factory=lambda: list(AggregationFunctions))
    time_window_size: int | None = None
    start_agg_window_datetime: datetime | None = None
    end_agg_window_datetime: datetime | None = None
    start_create_datetime: datetime | None = None
    end_create_datetime: datetime | None = None
    relative_time: str | None = None
    order_by_create_date: OrderByDate | None = OrderByDate.desc


_INTERVAL_UNITS = {
    "s": lambda n: timedelta(seconds=n),
    "m": lambda n: timedelta(minutes=n),
    "h": lambda n: timedelta(hours=n),
    "d": lambda n: timedelta(days=n),
    "M": lambda n: relativedelta(months=n),
    "y": lambda n: relativedelta(years=n),
}


def parse_interval(text: str) -> timedelta | relativedelta:
    """v1.2's ``relative_time``: ``<int><unit>``, unit one of s m h d M y (M months, y years; negative allowed).

    v1.2 let a bad value escape as a 500 (Q13); here it is a 422 naming the value.
    """
    unit = text[-1:] if text else ""
    if unit not in _INTERVAL_UNITS:
        raise DataPipeError(f"Unknown interval: {text}, expected <int><unit> with unit one of s, m, h, d, M, y")
    try:
        return _INTERVAL_UNITS[unit](int(text[:-1]))
    except (ValueError, OverflowError):
        raise DataPipeError(f"Invalid interval number: {text}, expected <int><unit>") from None


def _relative_start(text: str, now: datetime) -> datetime:
    try:
        return now - parse_interval(text)
    except (ValueError, OverflowError):  # the interval reaches outside the calendar
        raise DataPipeError(f"Invalid interval number: {text}, out of range") from None


def _naive_utc(moment: datetime | None) -> datetime | None:
    if moment is None or moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone.utc).replace(tzinfo=None)


def _latest(*moments):
    present = [m for m in moments if m is not None]
    return max(present) if present else None


def read(agent: Agent, filters: PipeDataFilter) -> tuple[int, list]:
    """``(count, rows)``: count of matching rows before paging; rows are the storage row dataclasses.

    LastValue reads the node's own ``state`` (all other filters ignored, v1.2); a node without
    a value gives ``(0, [])`` (v1.2 crashed on it, Q11).
    """
    node = _node_for_reader(agent, filters.uuid)
    page = filters.page.check()
    if filters.type is ProcessingPolicyType.LAST_VALUE:
        if node.state is None:
            return 0, []
        return 1, [LastValueRow(node.uuid, node.state, node.last_update_datetime)]
    now = utcnow()
    start_create = _naive_utc(filters.start_create_datetime)
    if filters.relative_time:  # "" is no bound, like an absent value
        start_create = _latest(start_create, _relative_start(filters.relative_time, now))
    query = PipeQuery(
        type=filters.type,
        search_string=filters.search_string,
        aggregation_types=tuple(filters.aggregation_type or ()),
        time_window_size=filters.time_window_size,
        start_agg_window_datetime=_naive_utc(filters.start_agg_window_datetime),
        end_agg_window_datetime=_naive_utc(filters.end_agg_window_datetime),
        start_create_datetime=start_create,
        end_create_datetime=_naive_utc(filters.end_create_datetime),
        order_by_create_date=filters.order_by_create_date or OrderByDate.desc,
        offset=page.offset or 0,
        limit=page.limit or 0,
        n_records_count=_current_n(node),
        now=now,
    )
    return STORE.read(node.uuid, query)


# --- CSV export --------------------------------------------------------------------------------
_COLUMNS = {
    ProcessingPolicyType.N_RECORDS: [f.name for f in fields(NRecordRow)],
    ProcessingPolicyType.TIME_WINDOW: [f.name for f in fields(TimeWindowRow)],
    ProcessingPolicyType.AGGREGATION: [f.name for f in fields(AggregationRow)],
}


def _csv_value(value):
    """Enums as their value, datetimes ``YYYY-MM-DD HH:MM:SS[.ffffff]`` (``str`` of a naive one), floats as repr."""
    if isinstance(value, float):
        return repr(value)
    return str(value)


def export_csv(agent: Agent, node_uuid) -> bytes:
    """The node's history for its current policy, oldest first, as a zip holding ``dp_data_<uuid4>.csv``."""
    node = _node_for_reader(agent, node_uuid)
    config = _runnable_config(node)
    policy = config.processing_policy
    rows = STORE.rows_for_export(node.uuid, policy.policy_type, policy.n_records_count, utcnow())
    if not rows:
        raise DataPipeError("No data found")
    columns = _COLUMNS[policy.policy_type]
    text = io.StringIO()
    writer = csv.writer(text)  # v1.2: Python's defaults (comma, \r\n, minimal quoting)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(getattr(row, name)) for name in columns])
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        bundle.writestr(f"dp_data_{uuid_module.uuid4()}.csv", text.getvalue().encode("utf-8"))
    return archive.getvalue()


# --- CSV import --------------------------------------------------------------------------------
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(Z|[+-]\d{2}:\d{2})?")


def parse_csv_datetime(text: str) -> datetime:
    """``YYYY-MM-DD HH:MM:SS[.ffffff]`` as v1.2 writes it (UTC); the ISO ``T`` form and a ``Z`` or
    ``+HH:MM`` offset are accepted too. Returns naive UTC."""
    if not _DATETIME.fullmatch(text):
        raise ValueError(text)
    return _naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class _Refused(Exception):
    """One row's check failed; the message is v1.2's text without the ``Row <n>: `` prefix."""


def import_csv(agent: Agent, node_uuid, data: bytes | str) -> None:
    """Replace the node's history with the CSV's rows, all or nothing."""
    node = _node_for_creator(agent, node_uuid)
    config = _runnable_config(node)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    text = decode_upload(raw, CSV_MAX_BYTES, "CSV file is {size} bytes, the limit is {limit} bytes",
                         "CSV file is not valid UTF-8", codec="utf-8-sig")
    rows = _CsvCheck(node.uuid, config, utcnow()).rows(text)
    try:
        STORE.replace(node.uuid, rows)
        db.session.commit()
    except Exception:
        db.session.rollback()
        raise


class _CsvCheck:
    """v1.2's per-row checks (spec §6.4, in its order), building the rows to store."""

    def __init__(self, node_uuid, config: PipeConfig, now: datetime):
        self.node_uuid, self.config, self.now = node_uuid, config, now
        self.policy = config.processing_policy
        self.filters = config.filters
        self.number = self.filters.type_input_value is TypeInputValue.NUMBER
        self.required = ["create_datetime", "state"]
        if self.policy.policy_type is ProcessingPolicyType.AGGREGATION:
            self.required += ["start_window_datetime", "end_window_datetime"]
        self.previous: dict | None = None
        self.windows: set = set()

    def rows(self, text: str) -> list:
        try:
            reader = csv.DictReader(io.StringIO(text, newline=""))
            header = reader.fieldnames or []
            missing = [name for name in self.required if name not in header]
            if missing:
                raise DataPipeError(f"CSV header lacks the column(s): {', '.join(missing)}")
            out = []
            for number, record in enumerate(reader, start=1):
                try:
                    out.append(self._row(record))
                except _Refused as refused:
                    raise DataPipeError(f"Row {number}: {refused}") from None
        except csv.Error as exc:
            raise DataPipeError(f"CSV file cannot be read: {exc}") from None
        if self.policy.policy_type is ProcessingPolicyType.N_RECORDS and len(out) > self.policy.n_records_count:
            raise DataPipeError("For NRecords: number of records exceeds limit n_records_count")
        return out

    # -- one row ---------------------------------------------------------------------------------
    def _field(self, record: dict, name: str) -> str:
        value = record.get(name)
        if value is None:
            raise _Refused(f"{name} is missing")
        return value

    def _datetime(self, record: dict, name: str) -> datetime:
        value = self._field(record, name)
        try:
            return parse_csv_datetime(value)
        except ValueError:
            raise _Refused(f"{name} {value!r} is not a datetime, expected YYYY-MM-DD HH:MM:SS[.ffffff]") from None

    def _row(self, record: dict):
        created = self._datetime(record, "create_datetime")
        previous = self.previous
        if previous is not None and created < previous["create"]:
            raise _Refused("create_datetime < previous_create_datetime")
        state = self._field(record, "state")
        value = self._state_value(state)
        aggregation = self.policy.policy_type is ProcessingPolicyType.AGGREGATION
        if aggregation:
            start = self._datetime(record, "start_window_datetime")
            end = self._datetime(record, "end_window_datetime")
        self._active_period(created)
        self._list(state, value)
        self._threshold(value)
        if not aggregation:
            self._rate_and_uniqueness(created, state)
        # max_size 0 means no limit, and the size is in UTF-8 bytes, as for live values (Q10).
        if self.filters.max_size and len(state.encode("utf-8")) > self.filters.max_size:
            raise _Refused("length state > max_size")
        row = self._policy_row(created, state, value, *((start, end) if aggregation else ()))
        self.previous = {"create": created, "state": state, "end": end if aggregation else None}
        return row

    def _state_value(self, state: str):
        if not self.number:
            return state
        try:
            return float(state)
        except ValueError:
            raise _Refused("state is not a valid python float") from None

    def _active_period(self, created: datetime) -> None:
        period = self.config.active_period
        moment = created.replace(tzinfo=timezone.utc)
        if period.type is ActivePeriodType.FROM_DATE and moment < period.start:
            raise _Refused("create_datetime is outside the start of the active period")
        if period.type is ActivePeriodType.TO_DATE and moment > period.end:
            raise _Refused("create_datetime is outside the end of the active period")
        if period.type is ActivePeriodType.DATE_RANGE and not period.start <= moment <= period.end:
            raise _Refused("create_datetime is outside the start or end of the active period")

    def _list(self, state: str, value) -> None:
        kind, items = self.filters.type_value_filtering, self.filters.filtering_values or ()
        if kind is None:
            return
        if self.number:
            listed = any(_as_float(item) == value for item in items)
        else:
            listed = any(str(item) == state for item in items)
        if kind is TypeValueFiltering.WHITE_LIST and not listed:
            raise _Refused("state not in whitelist")
        if kind is TypeValueFiltering.BLACK_LIST and listed:
            raise _Refused("state in blacklist")

    def _threshold(self, value) -> None:
        kind, low, high = self.filters.type_value_threshold, self.filters.threshold_min, self.filters.threshold_max
        if not self.number or kind is None:
            return
        if kind is TypeValueThreshold.MIN and low is not None and value < low:
            raise _Refused("state < threshold_min")
        if kind is TypeValueThreshold.MAX and high is not None and value > high:
            raise _Refused("state > threshold_max")
        if kind is TypeValueThreshold.RANGE and ((low is not None and value < low) or
                                                 (high is not None and value > high)):
            raise _Refused("state < threshold_min or state > threshold_max")

    def _rate_and_uniqueness(self, created: datetime, state: str) -> None:
        previous = self.previous
        if previous is None:
            return
        if (created - previous["create"]).total_seconds() < self.filters.max_rate:
            raise _Refused("the time difference between the previous entry and the current one, less than max_rate")
        if self.filters.last_unique_check and previous["state"] == state:
            raise _Refused("previous_state is identical current state")

    def _policy_row(self, created: datetime, state: str, value, start=None, end=None):
        policy, size = self.policy, self.policy.time_window_size
        kind = self.filters.type_input_value
        if policy.policy_type is ProcessingPolicyType.N_RECORDS:
            # The Number text is kept as written (v1.2 stored str(float): "5" became "5.0").
            return NRecordRow(self.node_uuid, state, kind, created, policy.n_records_count, len(state))
        if policy.policy_type is ProcessingPolicyType.TIME_WINDOW:
            if not self.now - timedelta(seconds=size) <= created <= self.now:
                raise _Refused("For TimeWindow: create_datetime is outside the range of valid values from "
                               "time_window_size")
            return TimeWindowRow(self.node_uuid, state, kind, created, created + timedelta(seconds=size), len(state))
        return self._aggregation_row(created, value, start, end)

    def _aggregation_row(self, created: datetime, value, start: datetime, end: datetime) -> AggregationRow:
        size = self.policy.time_window_size
        if start.second or end.second or start.microsecond or end.microsecond:
            raise _Refused("For Aggregation: start_window_datetime or end_window_datetime have seconds")
        if end < start:
            raise _Refused("For Aggregation: end_window_datetime < start_window_datetime")
        if abs((created - end).total_seconds()) >= 60:
            raise _Refused("For Aggregation: The difference between create_datetime and end_window_datetime is "
                           "greater than the minimum time_window_sizes")
        span = (end - start).total_seconds()
        if span != size:
            raise _Refused(f"For Aggregation: config time_window_size is not {span} "
                           "end_window_datetime - start_window_datetime")
        previous_end = self.previous["end"] if self.previous else None
        if previous_end is not None and (end - previous_end).total_seconds() % size:
            raise _Refused("For Aggregation: config time_window_size does not divide "
                           "end_window_datetime - previous_end_window_datetime")
        if start in self.windows:  # the store keeps one row per window (v1.2 did not check)
            raise _Refused("For Aggregation: the window starting at start_window_datetime is already in the file")
        self.windows.add(start)
        return AggregationRow(self.node_uuid, value, self.policy.aggregation_functions, size, created, start, end)


def _as_float(item) -> float | None:
    try:
        return float(item)
    except (TypeError, ValueError):
        return None


# --- delete ------------------------------------------------------------------------------------
def delete(agent: Agent, node_uuid) -> None:
    """All the node's history, its open aggregation windows and its filter state.

    A LastValue pipe's data is the node's ``state``: it is cleared too, so a delete empties what
    ``getPipeData`` shows for the node's policy (v1.2 left it, Q27).
    """
    node = _node_for_creator(agent, node_uuid)
    STORE.delete(node.uuid)
    try:
        policy = PipeConfig.from_stored(node.data_pipe_yml).processing_policy.policy_type
    except StoredConfigError:
        policy = None
    if policy is ProcessingPolicyType.LAST_VALUE:
        node.state = None
    db.session.commit()
