"""What each alert metric measures, once per evaluation (workers/alerts.py):

- bounce_rate / deferral_rate: bounced (deferred) / (delivered + deferred + bounced) outbound outcomes over the
  window, from the 5-minute rollups (the window starts at the 5-minute bucket holding now - window_minutes);
  no data below `min_events` outcomes. Scopes: node (email_stats_5m), provider / domain / ip (email_dim_5m),
  sender (raw events by from_domain until the rollups carry a `sender` dimension: then one entry below changes).
- queue_size / queue_oldest_age: messages queued (active + deferred) and age in seconds of the oldest one, on the
  worst node (or the scoped node), from the poller's last record per node.
- pipeline_lag: age in seconds of the oldest event waiting in the ingest buffer (0 when empty).
- dead_letters: jobs in the failed-job registries of the event and maintenance queues.
- silent_node: minutes since the quietest node's last event, counted only while another node had events within the
  threshold (a pause of all traffic is not a silent node); 5-minute buckets, so up to 5 minutes late.
- source_lost: events lost at the source (plugin heartbeats) over the window, worst node or the scoped node.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import NamedTuple

from sqlalchemy.engine import Connection

from pipeline import heartbeats, jobs
from store import alert_stats, health, queries, queues
from workers import context

BUCKET = timedelta(minutes=5)
SILENT_LOOKBACK = timedelta(days=1)
# scope -> (named query, its parameters): the sender line becomes ("alert_outcomes_dim", {"dim": "sender", ...})
# once the senders work adds that rollup dimension
OUTCOME_SOURCES = {
    None: lambda v: ("alert_outcomes", {"node": None}),
    "node": lambda v: ("alert_outcomes", {"node": v}),
    "provider": lambda v: ("alert_outcomes_dim", {"dim": "provider", "key": v}),
    "domain": lambda v: ("alert_outcomes_dim", {"dim": "domain", "key": v}),
    "ip": lambda v: ("alert_outcomes_dim", {"dim": "ip", "key": v}),
    "sender": lambda v: ("alert_outcomes_dim", {"dim": "sender", "key": v}),
}


class Reading(NamedTuple):
    """One measurement: the value (None: no data), the events behind a rate, and what it is about."""

    value: float | None
    observed: int | None = None
    subject: str | None = None


def window_start(now: datetime, minutes: int) -> datetime:
    """The start of the 5-minute bucket holding now - minutes (what the rollups can answer)."""
    at = now - timedelta(minutes=minutes)
    return at - (at - at.replace(minute=0, second=0, microsecond=0)) % BUCKET


def measure(rule: dict, conn: Connection, redis_conn, now: datetime) -> Reading:
    """Measure one rule's metric at `now`."""
    metric, kind, value = rule["metric"], rule["scope_kind"], rule["scope_value"]
    if metric in ("bounce_rate", "deferral_rate"):
        return _rate(conn, metric, kind, value, rule, now)
    if metric in ("queue_size", "queue_oldest_age"):
        return _queue(redis_conn, metric, value, now)
    if metric == "pipeline_lag":
        return Reading(health.pipeline_health(redis_conn, context.engine())["oldest_buffered_age_seconds"] or 0.0)
    if metric == "dead_letters":
        return Reading(float(sum(jobs.dead_letters(redis_conn).values())))
    if metric == "silent_node":
        return _silent(conn, value, rule["threshold"], now)
    return _lost(redis_conn, value, rule["window_minutes"], now)


def _rate(conn, metric: str, kind: str | None, key: str | None, rule: dict, now: datetime) -> Reading:
    name, params = OUTCOME_SOURCES[kind](key)
    rows = queries.execute(conn, name, params | {"start": window_start(now, rule["window_minutes"])}).all()
    counts = {event_type: int(n) for event_type, n in rows}
    total = sum(counts.values())
    if total == 0 or total < rule["min_events"]:
        return Reading(None, total)
    part = counts.get("bounced" if metric == "bounce_rate" else "deferred", 0)
    return Reading(round(part / total, 6), total)


def _queue(redis_conn, metric: str, node: str | None, now: datetime) -> Reading:
    names = [node] if node else [name for name, _url in context.settings().zonemta_nodes]
    values = {}
    for name in names:
        record = queues.load_node(redis_conn, name)
        if record is None:
            continue
        if metric == "queue_size":
            values[name] = float(record["active"] + record["deferred"])
        elif record["oldest"]:
            created = datetime.fromisoformat(record["oldest"]["created"].replace("Z", "+00:00"))
            values[name] = max(0.0, (now - created).total_seconds())
        else:
            values[name] = 0.0
    if not values:
        return Reading(None)
    worst = max(values, key=values.get)
    return Reading(values[worst], subject=worst)


def _silent(conn, node: str | None, minutes: float, now: datetime) -> Reading:
    rows = queries.execute(conn, "alert_node_activity", {"since": now - SILENT_LOOKBACK}).all()
    limit = now - timedelta(minutes=minutes)
    active = [n for n, last in rows if last >= limit]
    silent = {n: (now - last).total_seconds() / 60 for n, last in rows if last < limit and node in (None, n)}
    if not active or not silent:
        return Reading(0.0)
    worst = max(silent, key=silent.get)
    return Reading(round(silent[worst], 1), subject=worst)


def _lost(redis_conn, node: str | None, minutes: int, now: datetime) -> Reading:
    since = now - timedelta(minutes=minutes)
    increases = {}
    for n in heartbeats.read(redis_conn, now.timestamp()):
        if node in (None, n["node"]):
            before = alert_stats.lost_since(redis_conn, n["node"], since)
            increases[n["node"]] = max(0, n["lost"] - (before if before is not None else n["lost"]))
    if not increases:
        return Reading(None)
    worst = max(increases, key=increases.get)
    return Reading(float(increases[worst]), subject=worst)
