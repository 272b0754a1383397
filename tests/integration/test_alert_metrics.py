"""The alert metrics other than the rates, measured on real PostgreSQL and Redis: silent node, queue size and
oldest age per node, events lost at the source, dead letters and pipeline lag."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import rq

from pipeline import heartbeats
from store import queues
from tests.integration.test_heartbeat import beat
from tests.support import make_settings, post, run_worker
from workers import alert_measure, alerts, context


def rule(metric: str, threshold: float = 1, node: str | None = None, window: int = 15) -> dict:
    return {"metric": metric, "threshold": threshold, "scope_kind": "node" if node else None, "scope_value": node,
            "window_minutes": window, "min_events": 0}


def measure(engine, redis, spec: dict, now: datetime | None = None):
    with engine.connect() as conn:
        return alert_measure.measure(spec, conn, redis, now or datetime.now(UTC))


def _event(node: str, minutes_ago: float, n: int) -> dict:
    return {"event_id": f"sil-{node}-{minutes_ago}-{n}", "event_type": "delivered", "direction": "outbound",
            "timestamp": int((time.time() - minutes_ago * 60) * 1000), "mta_node": node, "to_address": "a@b.example"}


def test_silent_node_only_while_another_node_is_active(client, redis, clean):
    quiet = _event("mta-quiet", 30, 1)
    assert post(client, [quiet]).status_code == 202
    run_worker(redis)
    assert measure(clean, redis, rule("silent_node", 10)).value == 0  # everyone is quiet: not a silent node
    assert post(client, [_event("mta-busy", 1, 2)]).status_code == 202
    run_worker(redis)
    now = datetime.now(UTC)
    reading = measure(clean, redis, rule("silent_node", 10), now)
    bucket_end = alert_measure.window_start(datetime.fromtimestamp(quiet["timestamp"] / 1000, UTC), 0) + \
        alert_measure.BUCKET
    assert reading.subject == "mta-quiet"
    assert reading.value == round((now - bucket_end).total_seconds() / 60, 1) and reading.value >= 10
    assert measure(clean, redis, rule("silent_node", 10, node="mta-busy"), now).value == 0


def test_queue_size_and_oldest_age_per_node(redis, clean):
    context.use(make_settings(ZONEMTA_NODES="mta-1=http://127.0.0.1:9,mta-2=http://127.0.0.1:10"))
    now = datetime.now(UTC)
    records = [{"node": "mta-1", "active": 5, "deferred": 2, "oldest": {"created": (now - timedelta(hours=2))
                                                                         .isoformat()}},
               {"node": "mta-2", "active": 30, "deferred": 0, "oldest": {"created": (now - timedelta(minutes=3))
                                                                          .isoformat()}}]
    queues.save(redis, records, {})
    assert measure(clean, redis, rule("queue_size"), now) == (30.0, None, "mta-2")
    assert measure(clean, redis, rule("queue_size", node="mta-1"), now) == (7.0, None, "mta-1")
    assert measure(clean, redis, rule("queue_oldest_age"), now) == (7200.0, None, "mta-1")


def test_events_lost_at_the_source_over_the_window(redis, clean):
    heartbeats.record(redis, beat("mta-1", dropped=4))  # lost before the first evaluation: not this window's
    first = datetime.now(UTC)
    alerts.evaluate(first)  # remembers each node's total
    heartbeats.record(redis, beat("mta-1", dropped=4 + 6, sent_at=int(time.time() * 1000) + 1))
    later = first + timedelta(minutes=1)
    alerts.evaluate(later)
    assert measure(clean, redis, rule("source_lost", window=15), later) == (6.0, None, "mta-1")


def test_dead_letters_and_pipeline_lag(redis, clean):
    rq.Queue("maintenance", connection=redis).enqueue("workers.no_such_module.job")
    run_worker(redis)
    assert measure(clean, redis, rule("dead_letters")).value == 1
    assert measure(clean, redis, rule("pipeline_lag")).value == 0  # nothing buffered
