"""Migrations: idempotent; partitions exist ahead and are created on demand; old/future inserts within the window."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from pipeline import row as layout
from store import events, migrate

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
