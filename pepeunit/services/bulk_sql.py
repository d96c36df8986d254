"""One statement for many rows (psycopg2's ``execute_values``) on the session's connection, so
it joins the session's transaction: how the consumer's batches write hundreds of rows at once."""
from __future__ import annotations

from psycopg2.extras import execute_values

from ..extensions import db


def execute(sql: str, rows: list[tuple], fetch: bool = False):
    """Run ``sql`` (with one ``VALUES %s``) for all ``rows``: the rows it returns, or its rowcount."""
    cursor = db.session.connection().connection.cursor()
    try:
        result = execute_values(cursor, sql, rows, page_size=max(len(rows), 1), fetch=fetch)
        return result if fetch else cursor.rowcount
    finally:
        cursor.close()
