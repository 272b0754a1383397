"""The writers' side of the shared pipeline counters (key names in tally.py): histograms of write batch sizes,
write latency and event-to-commit lag, the last commit time, and ZoneMTA poll errors per node.

A histogram is one Redis hash per metric: a field per bucket index (not cumulative) plus "sum" and "count", added
to with HINCRBY from every worker, so /metrics can render one histogram over all of them.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter

import redis

import tally

HISTOGRAMS: dict[str, tuple[float, ...]] = {
    "write_batch_events": (1, 10, 100, 500, 1000, 2000, 5000, 10000),
    "write_seconds": (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    "commit_lag_seconds": (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600),
}
LAST_COMMIT = f"{tally.PREFIX}:last_commit"
POLL_ERRORS = f"{tally.PREFIX}:poll_errors"


def hist_key(name: str) -> str:
    """The Redis hash holding one histogram."""
    return f"{tally.PREFIX}:hist:{name}"


def observe(pipe, name: str, values: list[float]) -> None:
    """Queue the observations of one histogram on a pipeline (one HINCRBY per touched bucket)."""
    if not values:
        return
    bounds, key = HISTOGRAMS[name], hist_key(name)
    for index, n in Counter(bisect.bisect_left(bounds, v) for v in values).items():
        pipe.hincrby(key, str(index), n)
    pipe.hincrbyfloat(key, "sum", float(sum(values)))
    pipe.hincrby(key, "count", len(values))


def record_write(pipe, batch: int, seconds: float, new_rows: list, now_ms: int | None = None) -> None:
    """Queue a committed batch's figures: its size, how long it took, each new event's lag (commit - event time)."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    observe(pipe, "write_batch_events", [batch])
    observe(pipe, "write_seconds", [seconds])
    observe(pipe, "commit_lag_seconds", [(now_ms - row[1]) / 1000 for row in new_rows])
    pipe.hincrby(tally.COUNTERS, "written", len(new_rows))
    pipe.set(LAST_COMMIT, now_ms)


def read_histogram(conn: redis.Redis, name: str) -> tuple[list[tuple[str, int]], float, int]:
    """([(upper bound, cumulative count)...] ending with +Inf, sum, count) of one histogram."""
    raw = {k.decode(): v for k, v in conn.hgetall(hist_key(name)).items()}
    bounds, buckets, total = HISTOGRAMS[name], [], 0
    for index, bound in enumerate((*bounds, float("inf"))):
        total += int(raw.get(str(index), 0))
        buckets.append(("+Inf" if bound == float("inf") else repr(float(bound)), total))
    return buckets, float(raw.get("sum", 0)), int(raw.get("count", 0))


def read_counters(conn: redis.Redis) -> dict[str, int]:
    """The shared counters (accepted, written, rejected:<reason>)."""
    return {k.decode(): int(v) for k, v in conn.hgetall(tally.COUNTERS).items()}


def count_poll_errors(conn: redis.Redis, nodes: list[str]) -> None:
    """Add one failed poll to each named node."""
    if nodes:
        pipe = conn.pipeline(transaction=False)
        for node in nodes:
            pipe.hincrby(POLL_ERRORS, node, 1)
        pipe.execute()


def poll_errors(conn: redis.Redis) -> dict[str, int]:
    """Failed polls per node since the counters began."""
    return {k.decode(): int(v) for k, v in conn.hgetall(POLL_ERRORS).items()}


def last_commit_ms(conn: redis.Redis) -> int | None:
    """Epoch ms of the last committed batch (any writer), None before the first."""
    raw = conn.get(LAST_COMMIT)
    return int(raw) if raw else None
