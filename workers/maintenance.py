"""Scheduled upkeep: daily partitions ahead of time and for the retention window, raw retention by dropping whole
partitions, rollup retention per resolution (5 min: 30 d, 1 h: 400 d, 1 d: forever by default), the idempotency ids
of the events in the dropped partitions, expired login sessions, and alert history older than ALERT_HISTORY_DAYS.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, time, timedelta

from store import alert_log, events, queries, sessions
from workers import context

log = logging.getLogger(__name__)
DAYS_AHEAD = 7


def maintain() -> dict:
    """Create partitions for [today - retention, today + 7], drop older ones, trim rollups; return what changed."""
    settings, engine = context.settings(), context.engine()
    today = datetime.now(UTC).date()
    report = {"rollup_rows_deleted": 0}
    with engine.begin() as conn:
        report["partitions_created"] = queries.execute(conn, "ensure_partitions", {
            "first": today - timedelta(days=settings.raw_retention_days), "last": today + timedelta(DAYS_AHEAD),
        }).scalar_one()
        report["partitions_dropped"] = queries.execute(
            conn, "drop_partitions", {"keep_days": settings.raw_retention_days}).scalar_one()
        for res, days in settings.rollup_retention_days.items():
            if days <= 0:
                continue
            cutoff = datetime.now(UTC) - timedelta(days=days)
            for kind in ("email_stats", "email_dim"):
                result = queries.execute(conn, "delete_stats_before", {"cutoff": cutoff}, table=f"{kind}_{res}")
                report["rollup_rows_deleted"] += result.rowcount
        # the ids go with their partitions (events older than the retention are refused at ingest anyway)
        oldest_kept = datetime.combine(today - timedelta(days=settings.raw_retention_days), time.min, UTC)
        report["event_ids_deleted"] = queries.execute(
            conn, "delete_event_ids_before", {"cutoff": oldest_kept}).rowcount
        report["sessions_expired"] = sessions.delete_expired(conn)
        report["alert_history_deleted"] = alert_log.prune(
            conn, datetime.now(UTC) - timedelta(days=settings.alert_history_days))
        queries.execute(conn, "delete_snapshots_before",
                        {"cutoff": datetime.now(UTC) - timedelta(days=settings.rollup_retention_days["5m"] or 30)})
    if report["partitions_dropped"]:
        events.forget_partitions()
    log.info("maintenance: %s", report)
    return report
