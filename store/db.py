"""The SQLAlchemy engine: one per process, created on demand from settings, never at import time.

RQ's forking worker and gunicorn both fork, and pooled connections must not cross a fork, so `engine()` checks the
process id and builds a fresh engine in a child.
"""

from __future__ import annotations

import os

import sqlalchemy
from sqlalchemy.engine import Engine

from config import Settings

_state: dict[str, object] = {}


def sqlalchemy_url(database_url: str) -> str:
    """Rewrite postgres:// and postgresql:// URLs to the psycopg 3 driver SQLAlchemy needs."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql+psycopg://" + database_url[len(prefix):]
    raise ValueError(f"not a PostgreSQL URL: {database_url!r}")


def init_engine(settings: Settings) -> Engine:
    """Create (or replace) this process's engine for the configured database."""
    if not settings.database_url:
        raise ValueError("DATABASE_URL is not set (the launcher sets it in embedded mode)")
    old = _state.get("engine")
    if isinstance(old, Engine) and _state.get("pid") == os.getpid():
        old.dispose()
    engine = sqlalchemy.create_engine(
        sqlalchemy_url(settings.database_url),
        pool_size=settings.db_pool_size,
        max_overflow=settings.db_pool_size,
        pool_pre_ping=True,
        pool_recycle=1800,
        # fail fast when PostgreSQL is down, so a batch moves to its retrying job instead of hanging
        connect_args={"connect_timeout": 5},
    )
    _state.update(engine=engine, pid=os.getpid(), settings=settings)
    return engine


def engine() -> Engine:
    """This process's engine; rebuilt after a fork so no pooled connection is shared with the parent."""
    current = _state.get("engine")
    if current is None:
        raise RuntimeError("store.db.init_engine(settings) has not been called in this process")
    if _state.get("pid") != os.getpid():
        assert isinstance(current, Engine)
        current.dispose(close=False)
        settings = _state["settings"]
        assert isinstance(settings, Settings)
        return init_engine(settings)
    assert isinstance(current, Engine)
    return current
