"""Alert figures kept in Redis for /metrics and the navbar (which read Redis only): rules firing, notifications
sent / failed, and the per-node history of events lost at the source that the `source_lost` rules measure.
"""

from __future__ import annotations

from datetime import datetime

import redis

FIRING = "mailflow:alerts:firing"  # integer: rules firing after the last evaluation
NOTIFICATIONS = "mailflow:alerts:notifications"  # hash: sent / retried / failed -> count since Redis began
LOST_PREFIX = "mailflow:alerts:lost:"  # sorted set per node: "<epoch s>:<lost total>" scored by epoch s
LOST_KEEP_SECONDS = 86_400 + 600  # the longest window (a day) plus slack


def set_firing(conn: redis.Redis, count: int) -> None:
    """Store how many rules fire now."""
    conn.set(FIRING, count)


def firing(conn: redis.Redis) -> int | None:
    """Rules firing after the last evaluation (None before the first one)."""
    raw = conn.get(FIRING)
    return int(raw) if raw is not None else None


def count_notification(conn: redis.Redis, outcome: str) -> None:
    """Count one delivery attempt's outcome: sent, retried or failed."""
    conn.hincrby(NOTIFICATIONS, outcome, 1)


def notifications(conn: redis.Redis) -> dict[str, int]:
    """Delivery attempt outcomes so far, by outcome."""
    counts = {k.decode(): int(v) for k, v in conn.hgetall(NOTIFICATIONS).items()}
    return {outcome: counts.get(outcome, 0) for outcome in ("sent", "retried", "failed")}


def record_lost(conn: redis.Redis, lost_by_node: dict[str, int], now: datetime) -> None:
    """Remember each node's events-lost-at-the-source total at `now`, dropping entries older than a day."""
    ts = now.timestamp()
    pipe = conn.pipeline(transaction=False)
    for node, lost in lost_by_node.items():
        key = LOST_PREFIX + node
        pipe.zadd(key, {f"{ts:.3f}:{lost}": ts})
        pipe.zremrangebyscore(key, "-inf", ts - LOST_KEEP_SECONDS)
        pipe.expire(key, LOST_KEEP_SECONDS)
    pipe.execute()


def lost_since(conn: redis.Redis, node: str, since: datetime) -> int | None:
    """The node's total lost at its first remembered point at or after `since` (None when none is known)."""
    first = conn.zrangebyscore(LOST_PREFIX + node, since.timestamp(), "+inf", start=0, num=1)
    return int(first[0].decode().rsplit(":", 1)[1]) if first else None
