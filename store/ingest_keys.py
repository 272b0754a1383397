"""Managed ingest keys: the authoritative table in PostgreSQL and its mirror in Redis (sha256 -> name) that
ingest reads, since ingest never touches PostgreSQL. Every change writes both; `sync` rebuilds the mirror from the
table (web start-up and the CLI run it) so a flushed or restored Redis heals itself.
"""

from __future__ import annotations

from typing import Any

import redis
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from pipeline import apikeys
from store.queries import execute


class IngestKeyError(ValueError):
    """A key operation that cannot be done (bad or duplicate name, unknown key)."""


def create(conn: Connection, mirror: redis.Redis, name: str, created_by: str | None = None) -> str:
    """Create a key named `name`; return it in clear (shown once, never stored). Commits before mirroring."""
    try:
        name = apikeys.check_name(name)
    except ValueError as exc:
        raise IngestKeyError(str(exc)) from None
    key = apikeys.generate()
    digest = apikeys.digest(key)
    try:
        with conn.begin_nested():
            execute(conn, "ingest_key_insert", {"name": name, "key_hash": digest, "created_by": created_by})
    except IntegrityError:
        raise IngestKeyError(f"a live key named {name!r} exists; revoke it first") from None
    conn.commit()
    mirror.hset(apikeys.REDIS_HASH, digest, name)
    return key


def revoke(conn: Connection, mirror: redis.Redis, name: str) -> bool:
    """Revoke the live key of that name in both places; False when there was none (the mirror is re-synced
    either way, so repeating a revoke whose Redis step failed repairs it)."""
    found = execute(conn, "ingest_key_revoke", {"name": name}).first() is not None
    conn.commit()
    sync(conn, mirror)
    return found


def sync(conn: Connection, mirror: redis.Redis) -> int:
    """Make the Redis mirror equal to the live keys of the table (atomically); return how many."""
    live = {row.key_hash: row.name for row in execute(conn, "ingest_key_live")}
    pipe = mirror.pipeline(transaction=True)
    pipe.delete(apikeys.REDIS_HASH)
    if live:
        pipe.hset(apikeys.REDIS_HASH, mapping=live)
    pipe.execute()
    return len(live)


def keys(conn: Connection) -> list[dict[str, Any]]:
    """Every key without secrets, newest first."""
    return [dict(r) for r in execute(conn, "ingest_key_list").mappings()]
