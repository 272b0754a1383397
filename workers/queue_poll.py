"""The queue poll job (every 10 s, workers/cron.py): ask every ZoneMTA node's API for its queue, derive the
per-node records, look up why deferred recipients wait, then cache the aggregate and store the snapshots.

A node that fails keeps its last good record, flagged stale with the time of its last success and a short
reason. A database failure costs the deferral reasons and one snapshot, never the live queue numbers.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from pipeline import telemetry
from store import queues
from workers import context, queue_derive, zonemta_api

log = logging.getLogger(__name__)


def poll() -> dict:
    """Poll every configured node once; return a short summary (node -> "ok" or the error)."""
    nodes = context.settings().zonemta_nodes
    if not nodes:
        return {}
    now = datetime.now(UTC)
    results = zonemta_api.poll_all(nodes)
    fetched = {name: raw for name, raw in results.items() if not isinstance(raw, Exception)}
    latest = _latest_deferrals(fetched)
    redis_conn = context.redis_conn()
    records = []
    for name, _url in nodes:
        raw = results[name]
        if isinstance(raw, Exception):
            log.warning("queue poll: node %s failed: %s", name, raw)
            records.append(queue_derive.stale_record(name, queues.load_node(redis_conn, name), str(raw), now))
            continue
        keys = queue_derive.deferred_keys(raw["lists"])
        reasons = queue_derive.deferred_reasons(keys, latest) if latest is not None else {}
        records.append(queue_derive.fresh_record(name, raw, reasons, now))
    queues.save(redis_conn, records, queues.aggregate(records, now))
    telemetry.count_poll_errors(redis_conn, [r["node"] for r in records if r["error"]])
    _store_snapshots(now, records)
    return {r["node"]: r["error"] or "ok" for r in records}


def _latest_deferrals(fetched: dict[str, dict]) -> dict | None:
    keys = [key for raw in fetched.values() for key in queue_derive.deferred_keys(raw["lists"])]
    try:
        with context.engine().connect() as conn:
            return queues.latest_deferrals(conn, keys)
    except Exception:  # reasons are an extra: the queue numbers must still reach the dashboard
        log.exception("queue poll: deferral reasons lookup failed")
        return None


def _store_snapshots(now: datetime, records: list[dict]) -> None:
    try:
        with context.engine().begin() as conn:
            queues.save_snapshots(conn, now, records)
    except Exception:  # one missing sparkline point is better than a failed poll
        log.exception("queue poll: storing the snapshot failed")
