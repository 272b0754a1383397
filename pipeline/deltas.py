"""Realtime deltas: after a commit, the writer publishes what the batch added on Redis channel "email-flow".

One message per committed batch: counts per direction x event type x node, and per event-time second for the last
five minutes (the emails/s sparkline). Browsers add these to what they show, so no page polls for the counters.
"""

from __future__ import annotations

import time
from collections import Counter

import msgspec
import redis

from pipeline.row import DIRECTION, EVENT_TYPE, MTA_NODE, TS

CHANNEL = "email-flow"
SPARK_SECONDS = 300
SPARK_TYPES = ("received", "delivered")
SECONDS_KEY = "mailflow:seconds"


def delta_message(rows: list, now_ms: int | None = None) -> dict:
    """The message for a batch of new rows (pipeline.row layout)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    counts = Counter((row[DIRECTION], row[EVENT_TYPE], row[MTA_NODE]) for row in rows)
    recent = Counter(
        (row[TS] // 1000, row[DIRECTION], row[EVENT_TYPE]) for row in rows
        if now_ms - row[TS] <= SPARK_SECONDS * 1000
    )
    return {
        "type": "delta",
        "committed_at": now_ms,
        "n": len(rows),
        "counts": [[d, t, node, n] for (d, t, node), n in sorted(counts.items())],
        "seconds": [[s, d, t, n] for (s, d, t), n in sorted(recent.items())],
    }


def publish(conn: redis.Redis, rows: list, now_ms: int | None = None, pipe=None) -> int:
    """Publish a batch's delta and keep its per-second counts for the sparkline; returns the subscriber count.
    A caller's pipeline (with its own commands queued) rides along in the same round trip."""
    if not rows:
        if pipe is not None:  # nothing new (all duplicates): still send the caller's commands
            pipe.execute()
        return 0
    message = delta_message(rows, now_ms)
    pipe = pipe if pipe is not None else conn.pipeline(transaction=False)
    for second, _direction, event_type, n in message["seconds"]:
        if event_type in SPARK_TYPES:
            key = f"{SECONDS_KEY}:{second // 60}"
            pipe.hincrby(key, f"{second}:{event_type}", n)
            pipe.expire(key, SPARK_SECONDS + 120)
    pipe.publish(CHANNEL, msgspec.json.encode(message))
    return pipe.execute()[-1]


def recent_seconds(conn: redis.Redis, now: float | None = None) -> list[list[int]]:
    """[[epoch second, received, delivered], ...] for the last five minutes (both directions), oldest first."""
    now_s = int(now if now is not None else time.time())
    pipe = conn.pipeline(transaction=False)
    minutes = range((now_s - SPARK_SECONDS) // 60, now_s // 60 + 1)
    for minute in minutes:
        pipe.hgetall(f"{SECONDS_KEY}:{minute}")
    cells: dict[int, list[int]] = {}
    for fields in pipe.execute():
        for field, n in fields.items():
            second, event_type = field.decode().split(":")
            cell = cells.setdefault(int(second), [0, 0])
            cell[SPARK_TYPES.index(event_type)] += int(n)
    return [[s, *cells[s]] for s in sorted(cells) if now_s - SPARK_SECONDS <= s <= now_s]
