"""Pipeline health for operators: is PostgreSQL reachable, and how the buffer, the writers and the dead letters are
doing (backlog per class, oldest buffered event, last commit, rejections over the last hour).
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Engine


def database_up(engine: Engine) -> bool:
    """True when PostgreSQL answers a trivial query (a fresh check, never raises)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the server means "down" for the caller's decision
        return False
