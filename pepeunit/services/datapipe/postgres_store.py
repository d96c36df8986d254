"""``PipeStore`` on PostgreSQL (tables in ``models/data_pipe.py``), inside the session's transaction."""
from __future__ import annotations

import uuid as uuid_module
from dataclasses import asdict, fields

import sqlalchemy as sa

from ...extensions import db
from ...models import (
    DataPipeAggregation,
    DataPipeNodeState,
    DataPipeNRecord,
    DataPipeOpenWindow,
    DataPipeTimeWindowRecord,
    OrderByDate,
    ProcessingPolicyType,
)
from ...models.columns import utcnow
from .. import bulk_sql
from .storage import AggregationRow, NodeState, NRecordRow, PipeQuery, PipeStore, TimeWindowRow

_LOAD_STATES = (
    "SELECT unit_node_uuid::text, last_message_datetime, last_value FROM data_pipe_node_state "
    "WHERE unit_node_uuid = ANY(%s::uuid[])"
)
_EXISTING = "JOIN units_nodes AS n ON n.uuid = v.node::uuid"
_SAVE_STATES = (
    "INSERT INTO data_pipe_node_state (unit_node_uuid, last_message_datetime, last_value) "
    f"SELECT v.node::uuid, v.at::timestamp, v.value FROM (VALUES %s) AS v (node, at, value) {_EXISTING} "
    "ON CONFLICT (unit_node_uuid) DO UPDATE SET last_message_datetime = EXCLUDED.last_message_datetime, "
    "last_value = EXCLUDED.last_value"
)
_ADD_N_RECORDS = (
    "INSERT INTO data_pipe_n_records (unit_node_uuid, state, state_type, create_datetime, max_count, size) "
    "SELECT v.node::uuid, v.state, v.type, v.at::timestamp, v.max_count, v.size "
    f"FROM (VALUES %s) AS v (i, node, state, type, at, max_count, size) {_EXISTING} ORDER BY v.i"
)
_ADD_TIME_WINDOW = (
    "INSERT INTO data_pipe_time_window (unit_node_uuid, state, state_type, create_datetime, expiration_datetime, size) "
    "SELECT v.node::uuid, v.state, v.type, v.at::timestamp, v.expires::timestamp, v.size "
    f"FROM (VALUES %s) AS v (i, node, state, type, at, expires, size) {_EXISTING} ORDER BY v.i"
)
_ADD_TO_WINDOWS = (
    "INSERT INTO data_pipe_open_windows AS w (unit_node_uuid, start_window_datetime, time_window_size, "
    "aggregation_type, end_window_datetime, count, sum, min, max) "
    "SELECT v.node::uuid, v.start::timestamp, v.size, v.function, v.stop::timestamp, v.count, v.sum, v.min, v.max "
    f"FROM (VALUES %s) AS v (node, start, size, function, stop, count, sum, min, max) {_EXISTING} "
    "ON CONFLICT (unit_node_uuid, start_window_datetime, time_window_size, aggregation_type) DO UPDATE SET "
    "count = w.count + EXCLUDED.count, sum = w.sum + EXCLUDED.sum, "
    "min = LEAST(w.min, EXCLUDED.min), max = GREATEST(w.max, EXCLUDED.max)"
)
# Closed windows leave the open table and become one aggregation row each, once (the unique key).
_CLOSE_WINDOWS = (
    "WITH closed AS (DELETE FROM data_pipe_open_windows WHERE end_window_datetime <= :now RETURNING *) "
    "INSERT INTO data_pipe_aggregations (unit_node_uuid, state, aggregation_type, time_window_size, "
    "create_datetime, start_window_datetime, end_window_datetime) "
    "SELECT unit_node_uuid, CASE aggregation_type WHEN 'Avg' THEN sum / count WHEN 'Min' THEN min "
    "WHEN 'Max' THEN max ELSE sum END, aggregation_type, time_window_size, :now, start_window_datetime, "
    "end_window_datetime FROM closed WHERE count > 0 "
    "ON CONFLICT ON CONSTRAINT uq_data_pipe_aggregations_window DO NOTHING"
)
# Output nodes only, like the plain last-value flow: an Input node's state is written by
# set_state_input, and the echo of an older input arriving late must not overwrite a newer one.
_SET_LAST_VALUES = (
    "UPDATE units_nodes AS n SET state = v.state, last_update_datetime = v.at::timestamp "
    "FROM (VALUES %s) AS v (uuid, state, at) WHERE n.uuid = v.uuid::uuid AND n.type = 'Output' "
    "RETURNING n.uuid::text"
)
# NRecords keeps each node's newest N rows: N from its current config where given (VALUES of
# node, N), else each row's own max_count; the same rows the readers show.
_TRIM_N_RECORDS = (
    "DELETE FROM data_pipe_n_records AS d USING ("
    "SELECT r.id, row_number() OVER w AS rank, COALESCE(c.n::int, r.max_count) AS keep FROM data_pipe_n_records AS r "
    "LEFT JOIN (VALUES %s) AS c (node, n) ON c.node::uuid = r.unit_node_uuid "
    "WINDOW w AS (PARTITION BY r.unit_node_uuid ORDER BY r.create_datetime DESC, r.id DESC)) AS x "
    "WHERE d.id = x.id AND x.rank > x.keep"
)


class PostgresPipeStore(PipeStore):
    # -- writes (the pipeline) -------------------------------------------------------------------
    # One bulk statement each (execute_values on the session's connection), in the caller's
    # transaction. Rows of nodes deleted meanwhile are skipped instead of failing the batch; rows
    # are inserted in arrival order (ids order a batch's values, which share one receive time).

    def load_node_states(self, node_uuids):
        if not node_uuids:
            return {}
        cursor = db.session.connection().connection.cursor()
        try:
            cursor.execute(_LOAD_STATES, ([str(node) for node in node_uuids],))
            rows = cursor.fetchall()
        finally:
            cursor.close()
        return {uuid_module.UUID(node): NodeState(at, value) for node, at, value in rows}

    def save_node_states(self, states):
        rows = [(str(node), s.last_message_datetime, s.last_value) for node, s in states.items()]
        return bulk_sql.execute(_SAVE_STATES, rows) if rows else 0

    def add_n_records(self, rows):
        values = [(i, str(r.unit_node_uuid), r.state, r.state_type.value, r.create_datetime, r.max_count, r.size)
                  for i, r in enumerate(rows)]
        return bulk_sql.execute(_ADD_N_RECORDS, values) if values else 0

    def add_time_window(self, rows):
        values = [(i, str(r.unit_node_uuid), r.state, r.state_type.value, r.create_datetime,
                   r.expiration_datetime, r.size) for i, r in enumerate(rows)]
        return bulk_sql.execute(_ADD_TIME_WINDOW, values) if values else 0

    def add_to_windows(self, values):
        folded: dict[tuple, list] = {}
        for v in values:
            key = (v.unit_node_uuid, v.start_window_datetime, v.time_window_size, v.aggregation_type)
            acc = folded.get(key)
            if acc is None:
                folded[key] = [v.end_window_datetime, 1, v.value, v.value, v.value]
            else:
                acc[1] += 1
                acc[2] += v.value
                acc[3] = min(acc[3], v.value)
                acc[4] = max(acc[4], v.value)
        rows = [(str(node), start, size, function.value, end, count, total, low, high)
                for (node, start, size, function), (end, count, total, low, high) in folded.items()]
        return bulk_sql.execute(_ADD_TO_WINDOWS, rows) if rows else 0

    def close_windows(self, now):
        return db.session.execute(sa.text(_CLOSE_WINDOWS), {"now": now}).rowcount

    def set_last_values(self, rows):
        latest = {r.unit_node_uuid: r for r in rows}
        values = [(str(r.unit_node_uuid), r.state, r.last_update_datetime) for r in latest.values()]
        if not values:
            return []
        written = {row[0] for row in bulk_sql.execute(_SET_LAST_VALUES, values, fetch=True)}
        return [(node, state) for node, state, _ in values if node in written]

    def expire(self, now, n_records_counts=None):
        """``n_records_counts``: node -> its current NRecords N (other nodes keep each row's max_count)."""
        windows = db.session.execute(sa.delete(DataPipeTimeWindowRecord)
                                     .where(DataPipeTimeWindowRecord.expiration_datetime <= now)).rowcount
        counts = [(str(node), n) for node, n in (n_records_counts or {}).items()] or [(None, None)]
        return windows + bulk_sql.execute(_TRIM_N_RECORDS, counts)

    # ---------------------------------------------------------------------------------------------
    # The section above belongs to the pipeline's writes, the one below to the readers.
    # ---------------------------------------------------------------------------------------------

    # -- reads and replacement (history.py) ------------------------------------------------------

    def read(self, node_uuid, query):
        selection = _selection(node_uuid, query)
        if selection is None:
            return 0, []
        count = db.session.execute(sa.select(sa.func.count()).select_from(selection)).scalar_one()
        order = _ordering(selection, query.order_by_create_date)
        statement = sa.select(selection).order_by(*order)
        if query.offset:
            statement = statement.offset(query.offset)
        if query.limit:
            statement = statement.limit(query.limit)
        return count, _rows(query.type, db.session.execute(statement))

    def rows_for_export(self, node_uuid, policy, n_records_count, now):
        query = PipeQuery(type=policy, order_by_create_date=OrderByDate.asc, n_records_count=n_records_count, now=now)
        return self.read(node_uuid, query)[1]

    def replace(self, node_uuid, rows):
        for table in _HISTORY_TABLES:
            db.session.execute(sa.delete(table).where(table.c.unit_node_uuid == node_uuid))
        by_table: dict = {}
        for row in rows:
            by_table.setdefault(_TABLE_OF[type(row)], []).append(asdict(row))
        for table, values in by_table.items():
            db.session.execute(sa.insert(table), values)  # executemany: batched by SQLAlchemy

    def delete(self, node_uuid):
        for table in (*_HISTORY_TABLES, DataPipeOpenWindow.__table__, DataPipeNodeState.__table__):
            db.session.execute(sa.delete(table).where(table.c.unit_node_uuid == node_uuid))


# -- helpers of the read section --------------------------------------------------------------------
_N_RECORDS = DataPipeNRecord.__table__
_TIME_WINDOW = DataPipeTimeWindowRecord.__table__
_AGGREGATIONS = DataPipeAggregation.__table__
_HISTORY_TABLES = (_N_RECORDS, _TIME_WINDOW, _AGGREGATIONS)
_TABLE_OF = {NRecordRow: _N_RECORDS, TimeWindowRow: _TIME_WINDOW, AggregationRow: _AGGREGATIONS}
_ROW_OF = {
    ProcessingPolicyType.N_RECORDS: (_N_RECORDS, NRecordRow),
    ProcessingPolicyType.TIME_WINDOW: (_TIME_WINDOW, TimeWindowRow),
    ProcessingPolicyType.AGGREGATION: (_AGGREGATIONS, AggregationRow),
}


def _like_pattern(text: str) -> str:
    """``%text%`` where the text's own ``%``, ``_`` and ``\\`` match themselves (v1.2 left them live, Q12)."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _readable(table, node_uuid, query: PipeQuery):
    """The node's rows a reader may see at all: retention applied exactly, whatever the clean-up job did.

    NRecords: the newest ``n_records_count`` rows (the node's current N) or, when the node has no
    NRecords config any more, the newest ``max_count`` of each row as the clean-up would keep them.
    TimeWindow: rows not yet expired at ``query.now``.
    """
    own = table.c.unit_node_uuid == node_uuid
    newest_first = (table.c.create_datetime.desc(), table.c.id.desc())
    if table is _N_RECORDS and query.n_records_count is not None:
        return sa.select(table).where(own).order_by(*newest_first).limit(query.n_records_count).subquery()
    if table is _N_RECORDS:
        rank = sa.func.row_number().over(order_by=newest_first).label("rank")
        ranked = sa.select(table, rank).where(own).subquery()
        return (sa.select(*(ranked.c[c.name] for c in table.c))
                .where(ranked.c.rank <= ranked.c.max_count).subquery())
    if table is _TIME_WINDOW:
        now = query.now or utcnow()
        return sa.select(table).where(own, table.c.expiration_datetime > now).subquery()
    return sa.select(table).where(own).subquery()


def _selection(node_uuid, query: PipeQuery):
    """The filtered rows (a subquery with the table's columns), or ``None`` when nothing can match."""
    table, _ = _ROW_OF[query.type]
    rows = _readable(table, node_uuid, query)
    conditions = []
    if query.type is ProcessingPolicyType.AGGREGATION:
        if not query.aggregation_types:
            return None  # an explicit empty list matches nothing (v1.2)
        conditions.append(rows.c.aggregation_type.in_(list(query.aggregation_types)))
        if query.time_window_size is not None:
            conditions.append(rows.c.time_window_size == query.time_window_size)
        # Both bounds test the window END, as v1.2 does.
        if query.start_agg_window_datetime is not None:
            conditions.append(rows.c.end_window_datetime >= query.start_agg_window_datetime)
        if query.end_agg_window_datetime is not None:
            conditions.append(rows.c.end_window_datetime <= query.end_agg_window_datetime)
    elif query.search_string:
        conditions.append(rows.c.state.ilike(_like_pattern(query.search_string), escape="\\"))
    if query.start_create_datetime is not None:
        conditions.append(rows.c.create_datetime >= query.start_create_datetime)
    if query.end_create_datetime is not None:
        conditions.append(rows.c.create_datetime <= query.end_create_datetime)
    return sa.select(rows).where(*conditions).subquery()


def _ordering(selection, direction: OrderByDate) -> tuple:
    """By creation time (v1.2: the NRecords row number over creation time, same order), ties by id."""
    columns = (selection.c.create_datetime, selection.c.id)
    return tuple(c.asc() if direction is OrderByDate.asc else c.desc() for c in columns)


def _rows(policy: ProcessingPolicyType, result) -> list:
    _, row_class = _ROW_OF[policy]
    names = [f.name for f in fields(row_class)]
    return [row_class(**{name: getattr(record, name) for name in names}) for record in result]


STORE = PostgresPipeStore()
