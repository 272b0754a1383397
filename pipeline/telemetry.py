"""Pipeline telemetry shared by every web and worker process, kept in Redis so /metrics can sum it over all
processes: ingest outcomes by reason, buffered events per class, the writers' histograms (write batch sizes, write
latency, event-to-commit lag), the last commit time, and ZoneMTA poll errors per node.

Ingest (inside its gate script) and the writers (inside their pipelines) add to it, so counting costs no round trip.
A histogram is one Redis hash per metric: a field per bucket index (not cumulative) plus "sum" and "count", added
to with HINCRBY from every worker, so /metrics can render one histogram over all of them.
"""

from __future__ import annotations

import bisect
import time
from collections import Counter

import redis

from pipeline.row import TS

PREFIX = "mailflow:{buf}"  # the buffer's hash tag: one cluster slot for the protocol and its counters
COUNTERS = f"{PREFIX}:counters"  # accepted, written, rejected:<reason>
BUFFERED = f"{PREFIX}:buffered"  # events per class pushed and not yet acked (claimed batches included)
REJECTED_TTL = 7200  # per-minute rejection hashes feed "rejected over the last hour"
# Per-field reasons normalised to a small, stable label set (the raw texts come from msgspec and vary).
REASONS = ("missing_field", "unknown_event_type", "invalid_value", "timestamp_future", "timestamp_too_old",
           "invalid_ip", "not_an_object", "other")
_PHRASES = {"required field is missing": "missing_field", "more than 5 minutes in the future": "timestamp_future",
            "older than the raw-event retention": "timestamp_too_old", "not an IPv4 or IPv6 address": "invalid_ip",
            "each event must be a JSON object": "not_an_object"}


def rejected_key(minute: int) -> str:
    """The hash of rejections by reason during one epoch minute."""
    return f"{PREFIX}:rejected:{minute}"


def reason_code(error: dict) -> str:
    """One of REASONS for a {field, reason} error."""
    reason = str(error.get("reason", ""))
    if reason in _PHRASES:
        return _PHRASES[reason]
    if error.get("field") == "event_type":
        return "unknown_event_type"
    if reason.startswith(("Expected", "Invalid", "must", "Object", "Integer", "String")):
        return "invalid_value"
    return "other"


def rejections(rejected: list[dict]) -> Counter:
    """Rejected events by reason: each event counts once, under its first error."""
    return Counter(reason_code(item["errors"][0]) for item in rejected if item.get("errors"))

HISTOGRAMS: dict[str, tuple[float, ...]] = {
    "write_batch_events": (1, 10, 100, 500, 1000, 2000, 5000, 10000),
    "write_seconds": (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    "commit_lag_seconds": (0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800, 3600),
}
LAST_COMMIT = f"{PREFIX}:last_commit"
POLL_ERRORS = f"{PREFIX}:poll_errors"


def hist_key(name: str) -> str:
    """The Redis hash holding one histogram."""
    return f"{PREFIX}:hist:{name}"


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
    observe(pipe, "commit_lag_seconds", [(now_ms - row[TS]) / 1000 for row in new_rows])
    pipe.hincrby(COUNTERS, "written", len(new_rows))
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
    return {k.decode(): int(v) for k, v in conn.hgetall(COUNTERS).items()}


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
