"""Plugin heartbeats end to end on the real app and Redis: POST /api/v1/events/heartbeat (contract v1), the
per-node summary (reporting, silent, lost at the source across restarts) and its /metrics families. The clock is
injected through heartbeats.record/read instead of sleeping through the 3 x interval silence rule.
"""

from __future__ import annotations

import json
import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline import heartbeats
from tests.support import TEST_KEY, post

pytestmark = pytest.mark.integration
URL = "/api/v1/events/heartbeat"


def beat(node: str = "mta-01", process: str = "mta-01:100:1", **fields) -> dict:
    """A valid heartbeat (contract v1) with overrides."""
    now_ms = int(time.time() * 1000)
    return {"mta_node": node, "process_id": process, "pid": 100, "started_at": now_ms - 60_000, "sent_at": now_ms,
            "interval_seconds": 15, "plugin_version": "0.2.0", "zonemta_version": "3.9.1", "node_version": "v20.11.0",
            "seen": 10, "sent": 9, "rejected": 0, "dropped": 0, "buffered": 1, "spooled": 0, "spool_bytes": 0,
            "last_error": None, "last_error_at": None} | fields


def send(client, body, key: str | None = TEST_KEY, **headers):
    data = body if isinstance(body, bytes) else json.dumps(body)
    auth = {"Authorization": f"Bearer {key}"} if key else {}
    return client.post(URL, data=data, headers={"Content-Type": "application/json", **auth, **headers})


def node_of(redis, name: str, now: float | None = None) -> dict:
    return next(n for n in heartbeats.read(redis, now) if n["node"] == name)


def test_valid_heartbeat_is_accepted_and_stored(client, redis):
    response = send(client, beat(buffered=7, spooled=3, unknown_field="ignored"))
    assert response.status_code == 202 and response.get_json() == {"ok": True}
    stored = json.loads(redis.hget(heartbeats.processes_key("mta-01"), "mta-01:100:1"))
    assert stored["buffered"] == 7 and stored["source"] == "key1" and "unknown_field" not in stored
    assert abs(stored["received_at"] / 1000 - time.time()) < 5
    summary = node_of(redis, "mta-01")
    assert summary["processes_reporting"] == 1 and summary["silent"] is False
    assert (summary["buffered"], summary["spooled"], summary["lost"]) == (7, 3, 0)
    assert summary["plugin_versions"] == ["0.2.0"] and summary["zonemta_versions"] == ["3.9.1"]
    assert 0 < redis.ttl(heartbeats.NODES) <= heartbeats.NODE_TTL


def test_x_api_key_header_works_too(client, redis):
    assert send(client, beat(), key=None, **{"X-API-Key": TEST_KEY}).status_code == 202


def test_bad_body_gets_400_with_every_field_error(client, redis):
    bad = beat(seen=-1, interval_seconds=0, mta_node="mta 01", last_error="x" * 501)
    del bad["dropped"]
    response = send(client, bad)
    assert response.status_code == 400
    errors = {e["field"]: e["reason"] for e in response.get_json()["errors"]}
    assert set(errors) == {"seen", "interval_seconds", "mta_node", "last_error", "dropped"}
    assert errors["dropped"] == "required field is missing"
    assert "hostname-like" in errors["mta_node"]
    for body in (b"[]", b"not json", json.dumps([beat()]).encode()):
        response = send(client, body)
        assert response.status_code == 400 and response.get_json()["error"]
    assert heartbeats.read(redis) == []


def test_wrong_or_missing_key_gets_401(client, redis):
    assert send(client, beat(), key="wrong-key").status_code == 401
    assert send(client, beat(), key=None).status_code == 401
    assert heartbeats.read(redis) == []


def test_processes_of_a_node_add_up(client, redis):
    assert send(client, beat(process="a", buffered=5, spooled=1, dropped=2)).status_code == 202
    assert send(client, beat(process="b", buffered=7, spooled=0, dropped=0, plugin_version="0.2.1",
                             last_error="ECONNRESET", last_error_at=int(time.time() * 1000))).status_code == 202
    assert send(client, beat(node="mta-02", process="c", buffered=100)).status_code == 202
    one = node_of(redis, "mta-01")
    assert (one["processes_reporting"], one["processes_known"]) == (2, 2)
    assert (one["buffered"], one["spooled"], one["lost"]) == (12, 1, 2)
    assert one["last_error"] == "ECONNRESET" and one["plugin_versions"] == ["0.2.0", "0.2.1"]
    assert node_of(redis, "mta-02")["buffered"] == 100


def test_lost_at_source_counts_increases_and_survives_a_restart(redis):
    now = time.time()
    heartbeats.record(redis, beat(process="old", sent_at=1, dropped=3), now=now - 60)
    heartbeats.record(redis, beat(process="old", sent_at=2, dropped=5), now=now - 45)
    assert not heartbeats.record(redis, beat(process="old", sent_at=1, dropped=3), now=now - 44)  # late: ignored
    # the process restarts with a new process_id and counts from zero again
    heartbeats.record(redis, beat(process="new", sent_at=3, dropped=0), now=now - 30)
    heartbeats.record(redis, beat(process="new", sent_at=4, dropped=1), now=now)
    assert node_of(redis, "mta-01", now)["lost"] == 6
    # a day later the old process is forgotten; what it lost is not
    later = now + heartbeats.PROCESS_TTL + 60
    heartbeats.record(redis, beat(process="new", sent_at=5, dropped=1), now=later)
    summary = node_of(redis, "mta-01", later)
    assert redis.hkeys(heartbeats.processes_key("mta-01")) == [b"new"]
    assert (summary["processes_known"], summary["lost"]) == (1, 6)


def test_node_is_silent_after_three_intervals(redis):
    now = time.time()
    heartbeats.record(redis, beat(process="a", interval_seconds=15, buffered=4), now=now)
    heartbeats.record(redis, beat(process="b", interval_seconds=30, buffered=6), now=now - 10)
    assert node_of(redis, "mta-01", now + 44)["processes_reporting"] == 2
    half = node_of(redis, "mta-01", now + 46)  # a: 46 s > 3 x 15; b: 56 s < 3 x 30
    assert (half["processes_reporting"], half["silent"], half["buffered"]) == (1, False, 6)
    silent = node_of(redis, "mta-01", now + 81)
    assert silent["silent"] is True and silent["processes_reporting"] == 0
    assert silent["last_heartbeat"] == pytest.approx(now, abs=0.01)
    assert silent["buffered"] == 4 + 6  # what the node reported last, not zero
    days = node_of(redis, "mta-01", now + 3 * 86_400)  # processes forgotten, the node still flagged
    assert days["silent"] is True and days["processes_known"] == 0


def _samples(client) -> dict:
    text = client.get("/metrics").get_data(as_text=True)
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples
            if s.name.startswith("mailflow_source_")}


def test_metrics_export_the_source_families(client, redis):
    now = time.time()
    assert send(client, beat(process="a", buffered=5, spooled=2, dropped=3)).status_code == 202
    assert send(client, beat(process="b", buffered=1)).status_code == 202
    heartbeats.record(redis, beat(node="mta-02", process="c", dropped=4), now=now - 120)  # silent for 2 min
    samples = _samples(client)
    one, two = (("node", "mta-01"),), (("node", "mta-02"),)
    assert samples[("mailflow_source_processes", one)] == 2 and samples[("mailflow_source_processes", two)] == 0
    assert samples[("mailflow_source_buffered_events", one)] == 6
    assert samples[("mailflow_source_spooled_events", one)] == 2
    assert samples[("mailflow_source_lost_events_total", one)] == 3
    assert samples[("mailflow_source_lost_events_total", two)] == 4
    assert samples[("mailflow_source_silent", one)] == 0 and samples[("mailflow_source_silent", two)] == 1
    assert samples[("mailflow_source_last_heartbeat_timestamp_seconds", two)] == pytest.approx(now - 120, abs=0.01)
    assert abs(samples[("mailflow_source_last_heartbeat_timestamp_seconds", one)] - time.time()) < 5


def test_heartbeats_do_not_use_up_the_event_rate_limit(engine, redis):
    from app import create_app
    from tests.support import make_settings

    limited = create_app(make_settings(INGEST_RATE_LIMIT="3/minute", INGEST_KEY_RATE_LIMIT="3/minute")).test_client()
    assert [send(limited, beat(sent_at=i)).status_code for i in range(3)] == [202] * 3
    assert [post(limited, b"[]").status_code for _ in range(3)] == [400] * 3  # events still have their 3
    assert post(limited, b"[]").status_code == 429


def test_oversized_body_gets_413(client, redis):
    assert send(client, beat(padding="x" * 20_000)).status_code == 413
    assert heartbeats.read(redis) == []


def test_redis_down_gets_503(engine):
    from app import create_app
    from tests.support import make_settings

    dead = create_app(make_settings(REDIS_URL="redis://127.0.0.1:1/0", INGEST_RATE_LIMIT="100000/minute"))
    response = send(dead.test_client(), beat())
    assert response.status_code == 503 and response.headers["Retry-After"]
