"""Pure logic of plugin heartbeats: the per-node summary (heartbeats.summarise) and the sources table's states."""

from __future__ import annotations

from components import sources
from pipeline import heartbeats


def _beat(process: str, received: float, **fields) -> dict:
    return {"process_id": process, "received_at": int(received * 1000), "interval_seconds": 15, "seen": 1, "sent": 1,
            "buffered": 0, "spooled": 0, "plugin_version": "0.2.0"} | fields


def test_a_restarted_process_is_known_but_its_stale_gauges_are_not_added():
    now = 10_000.0
    old = _beat("p:1", now - 600, buffered=50)  # the process before its restart
    new = _beat("p:2", now - 5, buffered=2, last_error="ETIMEDOUT", last_error_at=1)
    summary = heartbeats.summarise("mta-01", [old, new], lost=7, now=now, seen=now - 5)
    assert (summary["processes_reporting"], summary["processes_known"]) == (1, 2)
    assert (summary["buffered"], summary["lost"], summary["silent"]) == (2, 7, False)
    assert summary["last_error"] == "ETIMEDOUT" and summary["last_heartbeat_age_seconds"] == 5


def test_a_node_never_heard_of_is_not_silent():
    summary = heartbeats.summarise("mta-01", [], lost=0, now=1.0)
    assert summary["silent"] is False and summary["last_heartbeat"] is None


def test_relative_times():
    assert [sources.ago(s) for s in (None, 12.4, 600, 9000, 400_000)] == [
        "never", "12 s ago", "10 min ago", "2.5 h ago", "4.6 d ago"]


def test_no_heartbeats_yet_is_one_line_and_redis_down_says_so():
    assert sources.sources_table([]).children == sources.NONE_YET
    assert "unavailable" in sources.sources_table(None).children


def test_a_silent_node_with_losses_is_flagged_red():
    summary = heartbeats.summarise("mta-02", [_beat("p", 1000.0)], lost=3, now=2000.0, seen=1000.0)
    row = sources.sources_table([summary]).children[1].children[0]
    assert row.className == "table-danger" and row.id == "source-node-mta-02"
    badge, lost = row.children[0].children[1], row.children[5]
    assert badge.children.startswith("silent since 1970-01-01 00:16:40") and badge.color == "danger"
    assert lost.children == "3" and "text-danger" in lost.className
