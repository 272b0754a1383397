"""Pipeline health for operators: is PostgreSQL reachable, and how the buffer, the writers and the dead letters are
doing (backlog per class, oldest buffered event, last commit, rejections over the last hour).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

import msgspec
import redis
from sqlalchemy import text
from sqlalchemy.engine import Engine

from pipeline import buffer, jobs, telemetry
from pipeline.row import TS
from pipeline.vocabulary import EVENT_QUEUES


def database_up(engine: Engine) -> bool:
    """True when PostgreSQL answers a trivial query (a fresh check, never raises)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except Exception:  # any failure to reach the server means "down" for the caller's decision
        return False


def pipeline_health(redis_conn: redis.Redis, engine: Engine, now: float | None = None) -> dict:
    """Everything the dashboard's "pipeline health" panel shows, in one dict (JSON-ready)."""
    now = now if now is not None else time.time()
    counts = {k.decode(): int(v) for k, v in redis_conn.hgetall(telemetry.BUFFERED).items()}
    last = telemetry.last_commit_ms(redis_conn)
    oldest = _oldest_buffered_ms(redis_conn)
    return {
        "database": "ok" if database_up(engine) else "down",
        "backlog": {cls: max(0, counts.get(cls, 0)) for cls in buffer.QUEUES},
        "backlog_requests": buffer.backlog(redis_conn),
        "oldest_buffered_age_seconds": round(now - oldest / 1000, 1) if oldest is not None else None,
        "dead_letters": sum(jobs.dead_letters(redis_conn, EVENT_QUEUES).values()),
        "rejected_last_hour": rejected_last_hour(redis_conn, now),
        "last_commit": datetime.fromtimestamp(last / 1000, UTC).isoformat() if last else None,
        "last_commit_age_seconds": round(now - last / 1000, 1) if last else None,
    }


def rejected_last_hour(redis_conn: redis.Redis, now: float | None = None) -> dict[str, int]:
    """Rejected events by reason over the last 60 minutes (per-minute counters written by ingest)."""
    minute = int((now if now is not None else time.time()) // 60)
    pipe = redis_conn.pipeline(transaction=False)
    for m in range(minute - 59, minute + 1):
        pipe.hgetall(telemetry.rejected_key(m))
    total: Counter = Counter()
    for fields in pipe.execute():
        total.update({k.decode(): int(v) for k, v in fields.items()})
    return dict(total)


def _oldest_buffered_ms(redis_conn: redis.Redis) -> int | None:
    """Event time of the oldest row at the head of any class buffer (the next to be written), or None."""
    pipe = redis_conn.pipeline(transaction=False)
    for cls in buffer.QUEUES:
        pipe.lindex(buffer.buffer_key(cls), 0)
    heads = [item for item in pipe.execute() if item]
    times = [row[TS] for item in heads for row in msgspec.json.decode(item.split(b":", 1)[1])]
    return min(times) if times else None
