"""Migrations: idempotent; partitions exist ahead and are created on demand; old/future inserts within the window."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import text

from pipeline import row as layout
from store import events, migrate
from tests.integration.rollup_check import sender_dim_mismatches
from tests.support import post, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.integration


def test_second_migrate_is_a_no_op(engine):
    assert migrate.migrate(engine) == []
    assert migrate.pending(engine) == []


def test_partitions_are_created_ahead_and_on_demand(clean):
    today = dt.datetime.now(dt.UTC).date()
    far = today - dt.timedelta(days=29)
    with clean.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS email_events_p" + far.strftime("%Y%m%d")))
        names = set(conn.execute(text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
            " WHERE i.inhparent = 'email_events'::regclass")).scalars())
    assert "email_events_p" + (today + dt.timedelta(days=3)).strftime("%Y%m%d") in names
    events.forget_partitions()
    ts = int(dt.datetime.combine(far, dt.time(12), dt.UTC).timestamp() * 1000)
    values = dict.fromkeys(layout.COLUMNS)
    values.update(event_id="old-1", ts=ts, event_type="delivered", direction="outbound", mta_node="mta-01")
    row = tuple(values.values())
    assert events.ensure_partitions(clean, [row]) == 1
    with clean.begin() as conn:
        assert len(events.insert_events(conn, [row])) == 1
        future = (today + dt.timedelta(days=1))
        ts2 = int(dt.datetime.combine(future, dt.time(0, 1), dt.UTC).timestamp() * 1000)
        assert len(events.insert_events(conn, [("future-1", ts2) + row[layout.EVENT_TYPE:]])) == 1


def test_sender_dims_backfill_rebuilds_them_exactly_and_only_once(client, clean, redis):
    now = int(time.time() * 1000)
    sent = dataset(11, now - 2 * 86_400_000, now, 600, now_ms=now)
    for i in range(0, len(sent), 1000):
        assert post(client, sent[i:i + 1000]).status_code == 202
    run_worker(redis)
    dims = "('sender', 'ip_provider', 'ip_reason', 'sender_reason')"
    backfill = (migrate.MIGRATIONS_DIR / "0012_sender_dims.sql").read_text()
    with clean.begin() as conn:
        written = {res: conn.execute(text(f"SELECT dim, key, event_type, bucket, events, bytes, dt_sum, dt_n"
                                          f" FROM email_dim_{res} WHERE dim IN {dims} ORDER BY 1, 2, 3, 4")).all()
                   for res in ("5m", "1h", "1d")}
        for res in written:
            conn.execute(text(f"DELETE FROM email_dim_{res} WHERE dim IN {dims}"))
        conn.connection.driver_connection.execute(backfill)  # as store.migrate runs a file
    with clean.begin() as conn:
        conn.connection.driver_connection.execute(backfill)  # rows exist now: skipped, nothing counted twice
        assert sender_dim_mismatches(conn) == []
        for res, rows in written.items():
            assert rows and conn.execute(text(f"SELECT dim, key, event_type, bucket, events, bytes, dt_sum, dt_n"
                                              f" FROM email_dim_{res} WHERE dim IN {dims} ORDER BY 1, 2, 3, 4")
                                         ).all() == rows
