"""End to end: ZoneMTA's real sender and plugin loader (ingest/zonemta-plugin/test/harness/deliver.js) post to the
real app served over HTTP; the real worker writes; email_events then holds exactly what the harness reports."""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from sqlalchemy import text

from tests.integration.zonemta_api import PLUGIN_DIR, require_node_modules
from tests.support import TEST_KEY, run_worker, serve

pytestmark = pytest.mark.integration
NODE = "mta-e2e"
# what deliver.js's SMTP sink answers per recipient: event type, bounce category
OUTCOMES = {"ok@example.com": ("delivered", None), "ok@example.org": ("delivered", None),
            "defer@example.org": ("deferred", "greylist"), "bad@example.com": ("bounced", "recipient")}


@pytest.fixture
def served_app(app, clean):
    """The real Flask app on an ephemeral loopback port, served by werkzeug in a thread."""
    with serve(app) as address:
        yield f"http://{address}"


def _deliver(base_url: str, count: int) -> dict:
    cmd = ["node", "test/harness/deliver.js", "--url", f"{base_url}/api/v1/events/ingest", "--key", TEST_KEY,
           "--node", NODE, "--count", str(count)]
    done = subprocess.run(cmd, cwd=PLUGIN_DIR, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    return json.loads(done.stdout)


def _rows(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT event_id, event_type, queue_id, seq, to_address, to_domain, bounce_category, reason_class,"
            " attempt, message_size, delivery_time_ms, mta_node, direction, smtp_code"
            " FROM email_events WHERE mta_node = :node ORDER BY event_id"), {"node": NODE}).all()


def test_zonemta_sender_events_land_in_email_events(served_app, clean, redis):
    require_node_modules()
    began = time.time()
    summary = _deliver(served_app, 3)
    elapsed_ms = (time.time() - began) * 1000
    assert summary["ok"], summary
    run_worker(redis)
    rows = _rows(clean)
    overhead: dict[str, set[int]] = {}

    assert sorted(r.event_id for r in rows) == sorted(summary["event_ids"])
    counts = {t: sum(r.event_type == t for r in rows) for t in summary["counts"]}
    assert counts == summary["counts"] == {"received": 12, "delivered": 6, "deferred": 3, "bounced": 3}
    messages = {m["queue_id"]: m for m in summary["messages"]}
    assert {r.queue_id for r in rows} == set(messages)
    for row in rows:
        message = messages[row.queue_id]
        assert (row.mta_node, row.direction) == (NODE, "outbound")
        assert row.to_address in message["recipients"] and row.to_domain == row.to_address.split("@")[1]
        assert row.seq == f"{message['recipients'].index(row.to_address) + 1:03x}"
        if row.event_type == "received":  # QUEUED carries the body size ZoneMTA stored
            assert (row.message_size, row.bounce_category, row.delivery_time_ms) == (message["message_size"], None, 0)
            continue
        # the sender's `size` is the message as transmitted: the stored body plus the headers ZoneMTA wrote
        overhead.setdefault(row.to_address, set()).add(row.message_size - message["message_size"])
        assert (row.event_type, row.bounce_category) == OUTCOMES[row.to_address], row
        assert row.attempt == 1 and row.event_id.endswith(".1")
        assert 0 <= row.delivery_time_ms <= elapsed_ms, row
    # the same header overhead for each recipient in every message: the size tracks each message's own body
    assert all(len(sizes) == 1 and 0 < min(sizes) < 2048 for sizes in overhead.values()), overhead
    by_type = {r.event_type: r for r in rows}
    assert (by_type["deferred"].reason_class, by_type["deferred"].smtp_code) == ("throttling", 451)
    assert (by_type["bounced"].reason_class, by_type["bounced"].smtp_code) == ("recipient", 550)
    assert (by_type["delivered"].reason_class, by_type["delivered"].smtp_code) == (None, 250)
