"""A node's pipe history as CSV: the export (a zip with one ``dp_data_<uuid4>.csv``) and the import
that replaces the history (datapipe-grafana.md §6.2, §6.4).

The import is atomic (v1.2 deleted the old rows first and failed half way, Q14): the whole file
is checked with v1.2's rules and ``Row <n>: `` texts, then the history is replaced in one
transaction, so a refused file changes nothing. Access is ``history``'s: export for readers,
import for the node's creator.
"""
from __future__ import annotations

import csv
import io
import re
import uuid as uuid_module
import zipfile
from dataclasses import fields
from datetime import datetime, timedelta, timezone

from ...errors import DataPipeError
from ...extensions import db
from ...models import (
    ActivePeriodType,
    ProcessingPolicyType,
    TypeInputValue,
    TypeValueFiltering,
    TypeValueThreshold,
)
from ...models.columns import utcnow
from ..agents import Agent
from .documents import decode_upload
from .history import naive_utc, node_for_creator, node_for_reader, runnable_config
from .pipe_config import PipeConfig
from .postgres_store import STORE
from .storage import AggregationRow, NRecordRow, TimeWindowRow

# The largest CSV file an import accepts (bytes), below the app's 8 MB request cap so the answer
# names the limit. Documented in the README ("History and CSV").
CSV_MAX_BYTES = 5 * 1024 * 1024


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
    node = node_for_reader(agent, node_uuid)
    config = runnable_config(node)
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
    return naive_utc(datetime.fromisoformat(text.replace("Z", "+00:00")))


class _Refused(Exception):
    """One row's check failed; the message is v1.2's text without the ``Row <n>: `` prefix."""


def import_csv(agent: Agent, node_uuid, data: bytes | str) -> None:
    """Replace the node's history with the CSV's rows, all or nothing."""
    node = node_for_creator(agent, node_uuid)
    config = runnable_config(node)
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
