"""The alert evaluation job (every minute, workers/cron.py): measure every rule, advance its state machine
(workers/alert_state.py), and for each transition write one history row and enqueue one notification job per
channel on the `alerts` queue (workers/alert_notify.py), unless the rule is muted.

A Redis lock keeps two evaluations from overlapping (a slow one and the next minute's), so a transition is seen,
stored and notified exactly once. A rule whose measurement fails keeps its state and is tried again next minute.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import rq
from rq import Retry

from pipeline import heartbeats
from store import alert_log, alert_rules, alert_stats
from workers import alert_measure, alert_state, context

log = logging.getLogger(__name__)
QUEUE = "alerts"
LOCK = "mailflow:alerts:evaluating"
NOTIFY_JOB = "workers.alert_notify.send"


def evaluate(now: datetime | None = None) -> dict:
    """Evaluate every rule once; return {rule name: transition} for the rules that changed state."""
    redis_conn = context.redis_conn()
    if not redis_conn.set(LOCK, "1", nx=True, ex=55):
        return {"skipped": "another evaluation is running"}
    try:
        return _evaluate(redis_conn, now or datetime.now(UTC))
    finally:
        redis_conn.delete(LOCK)


def _evaluate(redis_conn, now: datetime) -> dict:
    alert_stats.record_lost(redis_conn, {n["node"]: n["lost"] for n in heartbeats.read(redis_conn, now.timestamp())},
                            now)
    engine = context.engine()
    with engine.connect() as conn:
        rules = alert_rules.rules(conn)
    changed, firing = {}, 0
    for rule in rules:
        try:
            with engine.connect() as conn:
                reading = alert_measure.measure(rule, conn, redis_conn, now)
        except Exception:  # one broken measurement must not stop the other rules
            log.exception("alert rule %r: measuring %s failed", rule["name"], rule["metric"])
            firing += rule["state"] == "firing"
            continue
        result = alert_state.step(rule["state"], rule["ok_streak"], reading.value, rule["threshold"])
        with engine.begin() as conn:
            alert_log.save_state(conn, rule["id"], result.state, result.ok_streak, reading,
                                 result.transition is not None, now)
            ids = []
            if result.transition:
                history_id = alert_log.record(conn, rule, result.transition, reading, now)
                ids = [] if rule["muted"] else alert_log.add_notifications(conn, history_id, rule["notify"])
        if result.transition:
            changed[rule["name"]] = result.transition
            log.warning("alert %r %s: %s = %s (threshold %s)", rule["name"], result.transition, rule["metric"],
                        reading.value, rule["threshold"])
        _enqueue(redis_conn, ids)
        firing += result.state == "firing"
    alert_stats.set_firing(redis_conn, firing)
    return changed


def _enqueue(redis_conn, ids: list[int]) -> None:
    intervals = list(context.settings().alert_retry_intervals)
    queue = rq.Queue(QUEUE, connection=redis_conn)
    for notification_id in ids:
        queue.enqueue(NOTIFY_JOB, notification_id, retry=Retry(max=len(intervals), interval=intervals),
                      job_timeout=60, failure_ttl=7 * 86400, description=f"alert notification {notification_id}")
