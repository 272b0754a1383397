"""The queue poller against ZoneMTA 3.10.3's real API server code (three instances over seeded in-memory queues),
with deferral reasons from events written through the real ingest path; then a node stops, then one hangs."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
import rq
from sqlalchemy import text

from tests.integration.zonemta_api import ApiServers, require_node_modules
from tests.support import make_settings, post, run_worker
from workers import context

pytestmark = pytest.mark.integration
NODES = ("mta-a", "mta-b", "mta-c")
# node index, queue id, zone, recipient, age (s), deferred?, category and response of its deferred event(s)
SEED = [
    (0, "a00000000000000001", "default", "u1@gmail.com", 60, False, None),
    (0, "a00000000000000002", "default", "u2@gmail.com", 1000, False, None),
    (0, "a00000000000000003", "default", "Grey@Example.org", 3000, True,
     [("rate", "421 RP-001 rate limit"), ("greylist", "451 4.7.1 Greylisted")]),  # the latest one counts
    (0, "a00000000000000004", "bulk", "slow@timeout.example", 20_000, True, [("network", "Connection timed out")]),
    (1, "b00000000000000001", "default", "u3@outlook.com", 40_000, False, None),
    (1, "b00000000000000002", "bulk", "u4@outlook.com", 100, False, None),
    (1, "b00000000000000003", "default", "old@ancient.example", 200_000, True,
     [("network", "connect ECONNREFUSED 192.0.2.1:25")]),
    (1, "b00000000000000004", "default", "nobody@unknown.example", 500, True, None),  # no event: "unknown"
    (2, "c00000000000000001", "bulk", "block@spam.example", 8000, True, [("blacklist", "554 listed at zen")]),
    (2, "c00000000000000002", "bulk", "full@example.net", 400, True, [("recipient", "450 4.2.2 mailbox busy")]),
    (2, "c00000000000000003", "default", "u5@yahoo.com", 50, False, None),
]


def _seed_file(tmp_path):
    instances = [[] for _ in NODES]
    for node, qid, zone, rcpt, age, deferred, _events in SEED:
        instances[node].append({"id": qid, "seq": "001", "zone": zone, "recipient": rcpt, "age_s": age,
                                "next_s": 3600 if deferred else 0, "deferred": 2 if deferred else 0})
    path = tmp_path / "seed.json"
    path.write_text(json.dumps({"zones": ["bulk", "default"], "instances": instances}))
    return path


def _deferred_events(started: datetime) -> list[dict]:
    events = []
    for node, qid, zone, rcpt, age, _deferred, history in SEED:
        for attempt, (category, response) in enumerate(history or [], start=1):
            ts = started - timedelta(seconds=age) + timedelta(seconds=min(age / 2, 30 * attempt))
            events.append({"event_id": f"{qid}.001.DEFERRED.{attempt}", "event_type": "deferred",
                           "direction": "outbound", "timestamp": int(ts.timestamp() * 1000),
                           "mta_node": NODES[node], "queue_id": qid, "seq": "001", "zone": zone,
                           "to_address": rcpt, "bounce_category": category, "smtp_response": response,
                           "attempt": attempt})
    return events


@pytest.fixture
def servers(tmp_path):
    require_node_modules()
    harness = ApiServers(_seed_file(tmp_path), len(NODES))
    yield harness
    harness.close()


def _use_nodes(servers) -> None:
    context.use(make_settings(ZONEMTA_NODES=",".join(f"{n}={servers.url(i)}" for i, n in enumerate(NODES))))


def _poll(redis) -> dict:
    job = rq.Queue("maintenance", connection=redis).enqueue("workers.queue_poll.poll", job_timeout=30)
    run_worker(redis)
    job.refresh()
    assert job.get_status() == "finished", job.latest_result()
    return job.return_value()


def test_empty_state_is_explicit(client):
    body = client.get("/api/v1/email/queue").json
    assert (body["polled_at"], body["nodes"], body["totals"]["total"]) == (None, [], 0)
    assert "no queue data" in body["message"] and body["trend"] == []


def test_poll_derives_the_seeded_queue_and_keeps_a_dead_nodes_last_good_value(client, clean, redis, servers):
    started = datetime.fromisoformat(servers.ready["started"].replace("Z", "+00:00"))
    assert post(client, _deferred_events(started)).status_code == 202
    run_worker(redis)
    _use_nodes(servers)
    assert _poll(redis) == dict.fromkeys(NODES, "ok")

    first = client.get("/api/v1/email/queue").json
    assert first["stale"] is False and first["stale_nodes"] == []
    assert first["totals"] == {"active": 5, "deferred": 6, "total": 11}
    per_node = {n["node"]: (n["active"], n["deferred"], n["stale"]) for n in first["nodes"]}
    assert per_node == {"mta-a": (2, 2, False), "mta-b": (2, 2, False), "mta-c": (1, 2, False)}
    assert {z["zone"]: (z["active"], z["deferred"]) for z in first["zones"]} == {"bulk": (1, 3), "default": (4, 3)}
    assert [(a["bracket"], a["count"]) for a in first["ages"]] == [
        ("lt_5m", 3), ("5m_30m", 3), ("30m_2h", 1), ("2h_6h", 2), ("6h_24h", 1), ("gt_24h", 1)]
    assert first["ages_approximate"] is False
    oldest = first["oldest"]
    assert (oldest["node"], oldest["id"], oldest["recipient_domain"]) == ("mta-b", "b00000000000000003",
                                                                          "ancient.example")
    assert 200_000 <= oldest["age_seconds"] < 200_000 + 120
    assert {r["reason"]: r["count"] for r in first["deferred_reasons"]} == {
        "greylisted": 1, "timeout": 1, "mx/network unavailable": 1, "unknown": 1, "blacklist/policy": 1,
        "recipient": 1}
    assert [(p["total"], p["nodes"]) for p in first["trend"]] == [(11, 3)]

    servers.command("stop 2")
    assert _poll(redis)["mta-c"] == "connection refused"
    second = client.get("/api/v1/email/queue").json
    nodes = {n["node"]: n for n in second["nodes"]}
    assert (second["stale"], second["stale_nodes"]) == (True, ["mta-c"])
    assert nodes["mta-c"]["stale"] and nodes["mta-c"]["error"] == "connection refused"
    assert nodes["mta-c"]["since"] == first["polled_at"] and nodes["mta-c"]["polled_at"] == second["polled_at"]
    assert (nodes["mta-c"]["active"], nodes["mta-c"]["deferred"]) == (1, 2)  # last good value, still counted
    assert not nodes["mta-a"]["stale"] and nodes["mta-a"]["since"] == second["polled_at"]
    assert second["totals"] == first["totals"]
    assert [(p["total"], p["nodes"]) for p in second["trend"]] == [(11, 3), (8, 2)]  # snapshots: fresh nodes only
    with clean.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM queue_snapshots")).scalar_one() == 3 * 2 + 2 * 2


def test_a_hanging_node_times_out_without_delaying_the_others(client, clean, redis, servers):
    _use_nodes(servers)
    _poll(redis)
    servers.command("hang 0")
    began = time.monotonic()
    outcome = _poll(redis)
    assert time.monotonic() - began < 4  # the 2 s node budget plus the worker's own overhead
    assert outcome == {"mta-a": "timeout after 2 s", "mta-b": "ok", "mta-c": "ok"}
    body = client.get("/api/v1/email/queue").json
    assert body["stale_nodes"] == ["mta-a"] and body["totals"]["total"] == 11


def test_expired_cache_is_rebuilt_from_node_records_and_old_ones_are_stale(client, clean, redis, servers):
    from store import queues

    _use_nodes(servers)
    _poll(redis)
    redis.delete(queues.AGGREGATE_KEY)
    old = queues.load_node(redis, "mta-b")
    old["polled_at"] = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    redis.set(queues.node_key("mta-b"), json.dumps(old))
    assert queues.current(redis, list(NODES))["stale_nodes"] == ["mta-b"]
    assert "not polled since" in queues.current(redis, list(NODES))["nodes"][1]["error"]
