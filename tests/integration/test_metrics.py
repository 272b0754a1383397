"""Self-monitoring: /metrics renders the counters every web and worker process shares in Redis plus the live
gauges, and store.health.pipeline_health gives the dashboard's pipeline panel its numbers.
"""

from __future__ import annotations

import time

import pytest
from prometheus_client.parser import text_string_to_metric_families

from pipeline import telemetry
from store import health
from tests.support import post, run_worker

pytestmark = pytest.mark.integration


def _events(n: int, now_ms: int) -> list[dict]:
    return [{"event_id": f"m{i}", "event_type": "delivered" if i % 3 else "bounced", "direction": "outbound",
             "timestamp": now_ms - 1000 * (i + 1), "mta_node": "mta-01", "to_address": "bob@example.com",
             "delivery_time_ms": 800} for i in range(n)]


def _bad(now_ms: int) -> list[dict]:
    good = _events(1, now_ms)[0]
    return [{k: v for k, v in good.items() if k != "mta_node"} | {"event_id": "b1"},
            dict(good, event_id="b2", timestamp=now_ms + 3_600_000),
            dict(good, event_id="b3", remote_ip="300.1.1.1")]


def _samples(client) -> dict:
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def test_metrics_count_ingest_outcomes_writes_and_lag(client, redis):
    now = int(time.time() * 1000)
    assert post(client, _events(50, now) + _bad(now)).status_code == 202
    assert post(client, [dict(_events(1, now)[0], event_type="opened")]).status_code == 400
    before = _samples(client)
    assert before[("mailflow_buffered_events", (("class", "low"),))] == 33
    assert before[("mailflow_buffered_events", (("class", "high"),))] == 17
    run_worker(redis)
    telemetry.count_poll_errors(redis, ["mta-02"])
    after = _samples(client)
    assert after[("mailflow_ingest_accepted_events_total", ())] == 50
    assert after[("mailflow_written_events_total", ())] == 50
    rejected = {dict(k[1])["reason"]: v for k, v in after.items() if k[0] == "mailflow_ingest_rejected_events_total"}
    assert rejected == {"missing_field": 1, "timestamp_future": 1, "invalid_ip": 1, "unknown_event_type": 1,
                        "invalid_value": 0, "timestamp_too_old": 0, "not_an_object": 0, "other": 0}
    assert all(after[("mailflow_buffered_events", (("class", c),))] == 0 for c in ("high", "normal", "low"))
    assert after[("mailflow_commit_lag_seconds_count", ())] == 50
    assert after[("mailflow_commit_lag_seconds_bucket", (("le", "0.1"),))] == 0  # every event was ≥ 1 s old
    assert after[("mailflow_commit_lag_seconds_bucket", (("le", "+Inf"),))] == 50
    assert after[("mailflow_write_batch_events_sum", ())] == 50
    assert after[("mailflow_write_seconds_count", ())] >= 1
    assert after[("mailflow_zonemta_poll_errors_total", (("node", "mta-02"),))] == 1
    assert after[("mailflow_dead_letters", (("queue", "email-events-low"),))] == 0
    assert after[("mailflow_rq_queue_jobs", (("queue", "email-events"),))] == 0


def test_pipeline_health_before_and_after_the_writer(client, clean, redis):
    now = int(time.time() * 1000)
    assert post(client, _events(30, now - 60_000) + _bad(now)).status_code == 202
    waiting = health.pipeline_health(redis, clean)
    assert waiting["database"] == "ok"
    assert waiting["backlog"] == {"high": 10, "normal": 0, "low": 20}
    assert waiting["oldest_buffered_age_seconds"] >= 60 + 30
    assert waiting["last_commit"] is None
    assert waiting["rejected_last_hour"] == {"missing_field": 1, "timestamp_future": 1, "invalid_ip": 1}
    run_worker(redis)
    done = health.pipeline_health(redis, clean)
    assert done["backlog"] == {"high": 0, "normal": 0, "low": 0}
    assert done["oldest_buffered_age_seconds"] is None
    assert done["dead_letters"] == 0
    assert 0 <= done["last_commit_age_seconds"] < 30
    assert done["rejected_last_hour"] == waiting["rejected_last_hour"]
