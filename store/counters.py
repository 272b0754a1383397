"""Realtime deltas: after a commit, the writer publishes what the batch added on Redis channel "email-flow".

One message per committed batch: counts per direction x event type x node, and per event-time second for the last
five minutes (the emails/s sparkline). Browsers add these to what they show, so no page polls for the counters.
"""

from __future__ import annotations

import time
from collections import Counter

import msgspec
import redis

CHANNEL = "email-flow"
SPARK_SECONDS = 300


def delta_message(rows: list, now_ms: int | None = None) -> dict:
    """The message for a batch of new rows (buffer.COLUMNS order)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    counts = Counter((row[3], row[2], row[4]) for row in rows)
    recent = Counter(
        (row[1] // 1000, row[3], row[2]) for row in rows if now_ms - row[1] <= SPARK_SECONDS * 1000
    )
    return {
        "type": "delta",
        "committed_at": now_ms,
        "n": len(rows),
        "counts": [[d, t, node, n] for (d, t, node), n in sorted(counts.items())],
        "seconds": [[s, d, t, n] for (s, d, t), n in sorted(recent.items())],
    }


def publish(conn: redis.Redis, rows: list) -> int:
    """Publish a batch's delta; returns the number of subscribers that received it (0 when rows is empty)."""
    if not rows:
        return 0
    return conn.publish(CHANNEL, msgspec.json.encode(delta_message(rows)))
