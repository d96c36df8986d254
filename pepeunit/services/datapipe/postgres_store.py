"""``PipeStore`` on PostgreSQL (tables in ``models/data_pipe.py``), inside the session's transaction."""
from __future__ import annotations

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
from .storage import AggregationRow, NRecordRow, PipeQuery, PipeStore, TimeWindowRow


class PostgresPipeStore(PipeStore):
    # -- writes (the pipeline) -------------------------------------------------------------------

    def load_node_states(self, node_uuids):
        raise NotImplementedError

    def save_node_states(self, states):
        raise NotImplementedError

    def add_n_records(self, rows):
        raise NotImplementedError

    def add_time_window(self, rows):
        raise NotImplementedError

    def add_to_windows(self, values):
        raise NotImplementedError

    def close_windows(self, now):
        raise NotImplementedError

    def set_last_values(self, rows):
        raise NotImplementedError

    def expire(self, now):
        raise NotImplementedError

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
