"""Named SQL: every `-- name: x` block of sql/queries/*.sql, loaded once, run through SQLAlchemy `text()`.

A block may name a relation as `{table}`; `statement(name, table=...)` fills it from a fixed whitelist only (a
relation name cannot be a bind parameter), never from user input. Each execution is logged with its name and time.
"""

from __future__ import annotations

import functools
import logging
import re
import time
from pathlib import Path
from typing import Any

from sqlalchemy import TextClause, text
from sqlalchemy.engine import Connection

QUERIES_DIR = Path(__file__).resolve().parent.parent / "sql" / "queries"
TABLES = frozenset(f"{kind}_{res}" for kind in ("email_stats", "email_dim") for res in ("5m", "1h", "1d"))
_NAME = re.compile(r"^--\s*name:\s*([a-z_][a-z0-9_]*)\s*$", re.MULTILINE)
log = logging.getLogger(__name__)


@functools.cache
def catalogue() -> dict[str, str]:
    """All named SQL blocks by name; a duplicate name is an error at first use."""
    blocks: dict[str, str] = {}
    for path in sorted(QUERIES_DIR.glob("*.sql")):
        parts = _NAME.split(path.read_text())
        for name, body in zip(parts[1::2], parts[2::2], strict=True):
            if name in blocks:
                raise ValueError(f"duplicate query name {name!r} in {path.name}")
            blocks[name] = body.strip().rstrip(";")
    return blocks


@functools.cache
def statement(name: str, table: str | None = None) -> TextClause:
    """The compiled statement for a name, with `{table}` filled from the whitelist."""
    sql = catalogue()[name]
    if table is not None:
        if table not in TABLES:
            raise ValueError(f"not a rollup table: {table!r}")
        sql = sql.replace("{table}", table)
    return text(sql)


def execute(conn: Connection, name: str, params: dict[str, Any] | None = None, table: str | None = None):
    """Run a named statement; return the SQLAlchemy result (logged with name, duration)."""
    started = time.perf_counter()
    result = conn.execute(statement(name, table), params or {})
    log.debug("query %s%s took %.1f ms", name, f"[{table}]" if table else "", (time.perf_counter() - started) * 1e3)
    return result


_BIND = re.compile(r"(?<![:\w]):([a-z_][a-z0-9_]*)")


@functools.cache
def driver_sql(name: str, table: str | None = None) -> str:
    """A named statement in psycopg's own parameter style (%(name)s), for the driver's pipeline mode."""
    sql = statement(name, table).text.replace("%", "%%")
    return _BIND.sub(r"%(\1)s", sql)


def pipeline(conn: Connection, calls: list[tuple[str, dict[str, Any], str | None]]) -> None:
    """Send several named statements at once (psycopg pipeline mode) inside the caller's transaction: one round
    trip, and the server runs them back to back instead of idling between them while holding their row locks."""
    started = time.perf_counter()
    driver = conn.connection.driver_connection
    with driver.pipeline(), driver.cursor() as cursor:
        for name, params, table in calls:
            cursor.execute(driver_sql(name, table), params)
    log.debug("pipeline of %d statements took %.1f ms", len(calls), (time.perf_counter() - started) * 1e3)


def rows_over(conn: Connection, name: str, pieces, kind: str, params: dict[str, Any] | None = None) -> list:
    """All rows of a range-aggregate query run once per piece of the range (Filters.pieces()), each piece on the
    rollup table (`kind`_<resolution>) of its own resolution; the caller sums them."""
    rows: list = []
    for piece in pieces:
        rows += execute(conn, name, piece.params() | (params or {}), f"{kind}_{piece.resolution}").all()
    return rows
