"""Retention: raw events go by whole daily partitions after RAW_RETENTION_DAYS, rollups stay longer per resolution
(5 min: 30 d, 1 h: 400 d, 1 d: forever by default), and a range over dropped raw data still answers from rollups.

Old events cannot come through ingest (it rejects events older than the raw retention), so they are written the
way the writer does: partitions first, then insert_events + rollups.apply in one transaction.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import text

from ingest import schema
from store import events, rollups, traffic
from store.filters import Filters
from tests.support import make_settings
from workers import context, maintenance

pytestmark = pytest.mark.integration
DAY_MS = 86_400_000
AGES = (410, 45, 35, 31, 29, 2)  # days before now


def _write_days_ago(engine, ages=AGES, per_age: int = 4) -> dict[int, int]:
    now = int(time.time() * 1000)
    body = [{"event_id": f"r{age}.{i}", "event_type": ("delivered", "bounced")[i % 2], "direction": "outbound",
             "timestamp": now - age * DAY_MS - i * 1000, "mta_node": "mta-01", "to_address": "bob@gmail.com",
             "delivery_time_ms": 1200} for age in ages for i in range(per_age)]
    rows, rejected = schema.parse_events(json.dumps(body).encode(), max_events=10_000, retention_days=3650)
    assert rejected == []
    events.ensure_partitions(engine, rows)
    with engine.begin() as conn:
        rollups.apply(conn, events.insert_events(conn, rows))
    return dict.fromkeys(ages, per_age)


def _partition_days(conn) -> list[int]:
    """Age in days of every daily partition of email_events."""
    today = datetime.now(UTC).date()
    names = conn.execute(text("SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
                              "WHERE i.inhparent = 'email_events'::regclass")).scalars()
    return sorted((today - datetime.strptime(n[-8:], "%Y%m%d").date()).days for n in names)


def _ages(conn, sql: str) -> set[int]:
    """Distinct ages in whole days of the timestamps a query returns (events sit a few seconds past whole days,
    so 5 min and 1 h buckets keep their event's age; a day bucket may be one day older)."""
    now = datetime.now(UTC)
    return {(now - ts).days for ts in conn.execute(text(sql)).scalars()}


def test_defaults_drop_old_partitions_and_trim_rollups_per_resolution(clean):
    written = _write_days_ago(clean)
    report = maintenance.maintain()
    assert report["partitions_dropped"] >= 4  # 410, 45, 35, 31 days old (and the migration's day 31)
    with clean.connect() as conn:
        days = _partition_days(conn)
        assert min(days) == -maintenance.DAYS_AHEAD and max(days) == 30  # today-30 is the oldest day kept
        assert _ages(conn, "SELECT ts FROM email_events") == {29, 2}
        assert _ages(conn, "SELECT bucket FROM email_stats_5m") == {29, 2}
        assert _ages(conn, "SELECT bucket FROM email_dim_5m") == {29, 2}
        assert _ages(conn, "SELECT bucket FROM email_stats_1h") == {45, 35, 31, 29, 2}
        assert _ages(conn, "SELECT bucket FROM email_dim_1h") == {45, 35, 31, 29, 2}
        assert max(_ages(conn, "SELECT bucket FROM email_stats_1d")) >= 410  # day buckets are kept forever
        assert conn.execute(text("SELECT sum(events) FROM email_stats_1d")).scalar_one() == sum(written.values())
        assert _ages(conn, "SELECT ts FROM event_ids") == {29, 2}  # the idempotency ids go with their partitions
    assert report["event_ids_deleted"] == sum(n for age, n in written.items() if age > 30)
    again = maintenance.maintain()
    assert again["partitions_dropped"] == 0 and again["rollup_rows_deleted"] == 0


def test_a_range_over_dropped_raw_data_answers_from_rollups(clean):
    _write_days_ago(clean, ages=(45, 35, 20), per_age=6)
    maintenance.maintain()
    now = datetime.now(UTC)
    with clean.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM email_events")).scalar_one() == 6  # only the 20-day-old
        f = Filters.from_query({"from": (now - timedelta(days=50)).isoformat(), "to": now.isoformat()})
        assert f.resolution == "1d"
        counts = traffic.summary(conn, f)["directions"]["outbound"]["counts"]
    assert counts["delivered"] == 9 and counts["bounced"] == 9


def test_configured_retention_is_followed(clean):
    context.use(make_settings(RAW_RETENTION_DAYS=10, ROLLUP_5M_RETENTION_DAYS=3, ROLLUP_1H_RETENTION_DAYS=40,
                              ROLLUP_1D_RETENTION_DAYS=100))
    _write_days_ago(clean, ages=(410, 45, 35, 9, 2))
    maintenance.maintain()
    with clean.connect() as conn:
        assert max(_partition_days(conn)) == 10
        assert _ages(conn, "SELECT ts FROM email_events") == {9, 2}
        assert _ages(conn, "SELECT bucket FROM email_stats_5m") == {2}
        assert _ages(conn, "SELECT bucket FROM email_stats_1h") == {35, 9, 2}
        assert max(_ages(conn, "SELECT bucket FROM email_stats_1d")) < 100
        assert max(_ages(conn, "SELECT bucket FROM email_dim_1d")) < 100
