"""``PipeStore`` on PostgreSQL (tables in ``models/data_pipe.py``), inside the session's transaction."""
from __future__ import annotations

from .storage import PipeStore


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
        raise NotImplementedError

    def rows_for_export(self, node_uuid, policy, n_records_count, now):
        raise NotImplementedError

    def replace(self, node_uuid, rows):
        raise NotImplementedError

    def delete(self, node_uuid):
        raise NotImplementedError


STORE = PostgresPipeStore()
