"""Raw event writes: COPY a batch into a staging table, then INSERT ... ON CONFLICT DO NOTHING RETURNING, which
yields exactly the rows that were new. Those, and only those, feed the rollups, so a duplicate never counts twice.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from pipeline.row import EVENT_ID, TS
from store import queries, rollups

DAY_MS = 86_400_000
DEADLOCK = "40P01"
_known_days: set[int] = set()


def ensure_partitions(engine: Engine, rows: list) -> int:
    """Create the daily partitions a batch needs (in its own short transaction); return how many were created."""
    days = {row[TS] // DAY_MS for row in rows} - _known_days
    if not days:
        return 0
    first, last = (dt.date(1970, 1, 1) + dt.timedelta(days=d) for d in (min(days), max(days)))
    with engine.begin() as conn:
        created = queries.execute(conn, "ensure_partitions", {"first": first, "last": last}).scalar_one()
    _known_days.update(range(min(days), max(days) + 1))
    return created


def forget_partitions() -> None:
    """Drop the cache of known partitions (after retention dropped some, or a failed insert)."""
    _known_days.clear()


def insert_events(conn: Connection, rows: list) -> list:
    """Insert a batch inside the caller's transaction; return the rows that were not there before."""
    queries.execute(conn, "create_stage")
    cursor = conn.connection.driver_connection.cursor()
    with cursor.copy("COPY mf_stage FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
    cursor.execute(queries.driver_sql("insert_from_stage"))
    if cursor.rowcount == len(rows):  # the usual case, nothing seen before: no need to read back which ones
        return rows
    by_key = {(row[EVENT_ID], row[TS]): row for row in rows}
    return [by_key[(event_id, ts_ms)] for event_id, ts_ms in cursor.fetchall()]


def write_batch(engine: Engine, rows: list, spam_threshold: float = 5.0, attempts: int = 3) -> list:
    """Insert a batch and add its rollups in one transaction; return the new rows.

    A deadlock between concurrent writers is retried (they touch the same current-bucket rollup rows); any other
    error is raised after forgetting the partition cache, in case retention dropped one under us.
    """
    ensure_partitions(engine, rows)
    for attempt in range(attempts):
        try:
            with engine.begin() as conn:
                new = insert_events(conn, rows)
                rollups.apply(conn, new, spam_threshold)
            return new
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != DEADLOCK or attempt == attempts - 1:
                forget_partitions()
                raise
    raise AssertionError("unreachable")
