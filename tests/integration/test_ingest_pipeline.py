"""POST -> Redis buffer -> real RQ worker code -> PostgreSQL rows and exact rollups, through the real Flask app."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from pipeline import buffer
from tests.integration.rollup_check import assert_exact
from tests.support import post, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.integration


def _now() -> int:
    return int(time.time() * 1000)


def _count(engine, sql: str = "SELECT count(*) FROM email_events") -> int:
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def _snapshot(engine) -> list:
    with engine.connect() as conn:
        return conn.execute(text(
            "SELECT bucket, direction, event_type, mta_node, zone, events, bytes, dt_sum, dt_hist"
            " FROM email_stats_5m ORDER BY 1, 2, 3, 4, 5")).all()


def _events(n: int = 400, seed: int = 7) -> list[dict]:
    now = _now()
    return dataset(seed, now - 3 * 3_600_000, now, n, now_ms=now)


def test_valid_batch_becomes_rows_and_exact_rollups(client, clean, redis):
    events = _events()
    for i in range(0, len(events), 500):
        assert post(client, events[i:i + 500]).status_code == 202
    run_worker(redis)
    assert _count(clean) == len({(e["event_id"], e["timestamp"]) for e in events})
    assert_exact(clean)


def test_same_batch_twice_changes_nothing(client, clean, redis):
    events = _events(200, seed=3)[:900]
    assert post(client, events).json["queued"] == len(events)
    run_worker(redis)
    before = (_count(clean), _snapshot(clean))
    assert post(client, events).status_code == 202
    run_worker(redis)
    assert (_count(clean), _snapshot(clean)) == before
    assert_exact(clean)


def test_an_event_id_resent_with_another_timestamp_is_stored_and_counted_once(client, clean, redis):
    events = _events(60, seed=5)
    assert post(client, events).status_code == 202
    run_worker(redis)
    before = (_count(clean), _snapshot(clean))
    shifted = [dict(e, timestamp=e["timestamp"] + shift) for e in events for shift in (1, 60_000)]
    assert post(client, shifted).json["queued"] == len(shifted)
    run_worker(redis)
    assert (_count(clean), _snapshot(clean)) == before
    assert _count(clean, "SELECT count(DISTINCT event_id) FROM email_events") == before[0]
    assert_exact(clean)


def test_duplicates_and_disorder_inside_one_stream_count_once(client, clean, redis):
    now = _now()
    events = dataset(11, now - 7_200_000, now, 300, duplicates=0.2, shuffle=True, now_ms=now)
    for i in range(0, len(events), 250):
        post(client, events[i:i + 250])
    run_worker(redis)
    assert _count(clean) == len({(e["event_id"], e["timestamp"]) for e in events})
    assert_exact(clean)


def test_invalid_events_are_reported_by_index_and_the_rest_stored(client, clean, redis):
    good = _events(20)[:10]
    bad = [{"event_id": "x"}, dict(good[0], event_type="opened"), dict(good[1], timestamp=_now() + 3_600_000),
           dict(good[2], remote_ip="999.1.1.1"), "not an object"]
    response = post(client, good[:5] + bad + good[5:])
    assert response.status_code == 202
    assert response.json["queued"] == 10
    rejected = {r["index"]: {e["field"] for e in r["errors"]} for r in response.json["rejected"]}
    assert rejected == {5: {"event_type", "direction", "timestamp", "mta_node"}, 6: {"event_type"},
                        7: {"timestamp"}, 8: {"remote_ip"}, 9: {"(event)"}}
    run_worker(redis)
    with clean.connect() as conn:
        stored = set(conn.execute(text("SELECT event_id FROM email_events")).scalars())
    assert stored == {e["event_id"] for e in good}


def test_an_ip_postgresql_cannot_store_is_refused_alone_and_spellings_make_one_key(client, clean, redis):
    """A zoned address passes Python's parser but not inet: it is refused with its index instead of failing the
    writer's whole batch. One address spelled three ways is one sending-IP key, the one SQL's host() gives."""
    spellings = ["2001:DB8::A", "2001:db8:0:0:0:0:0:a", "2001:0db8::000a"]
    outbound = [e for e in _events(60, seed=11) if e["direction"] == "outbound"][:6]
    good = [dict(e, local_ip=spellings[i % 3]) for i, e in enumerate(outbound)]
    zoned = dict(good[0], event_id=good[0]["event_id"] + ".zoned", local_ip="fe80::1%eth0")
    response = post(client, good + [zoned])
    assert response.json["queued"] == 6
    assert [(r["index"], r["errors"][0]["field"]) for r in response.json["rejected"]] == [(6, "local_ip")]
    run_worker(redis)
    with clean.connect() as conn:
        assert _count(clean) == 6
        keys = set(conn.execute(text("SELECT key FROM email_dim_1h WHERE dim = 'ip'")).scalars())
    assert keys == {"2001:db8::a"}
    assert_exact(clean)


@pytest.mark.parametrize("body, key, status", [
    (b"{not json", "good", 400),
    (b'"a string"', "good", 400),
    (b"[]", "good", 400),
    (b'[{"event_id": "only"}]', "good", 400),
    (b"[]", None, 401),
    (b"[]", "wrong-key-wrong-key", 401),
])
def test_error_statuses(client, body, key, status):
    from tests.support import TEST_KEY

    response = post(client, body, key=TEST_KEY if key == "good" else key)
    assert response.status_code == status
    assert "error" in response.json


def test_too_many_events_and_too_large_body(client):
    one = _events(5)[0]
    assert post(client, [one] * 1001).status_code == 400
    assert post(client, b"[" + b" " * (1_048_576 + 10) + b"]").status_code == 413


def test_redis_down_answers_503_with_retry_after(engine):
    from app import create_app
    from tests.support import make_settings

    dead = create_app(make_settings(REDIS_URL="redis://127.0.0.1:1/0", INGEST_RATE_LIMIT="100000/minute"))
    response = post(dead.test_client(), _events(5)[:3])
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_rate_limit_answers_429_with_retry_after(engine, redis):
    from app import create_app
    from tests.support import make_settings

    limited = create_app(make_settings(INGEST_RATE_LIMIT="3/minute")).test_client()
    statuses = [post(limited, b"[]").status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert int(limited.post("/api/v1/events/ingest").headers["Retry-After"]) > 0


def test_mixed_batch_is_split_by_priority(client, redis):
    events = _events(100)
    post(client, events)
    lengths = buffer.backlog(redis)
    assert all(lengths[cls] == 1 for cls in {buffer.CLASS_OF_TYPE[e["event_type"]] for e in events})
    queued = {q.decode() for q in redis.smembers("rq:queues")}
    assert {"rq:queue:email-events-high", "rq:queue:email-events", "rq:queue:email-events-low"} <= queued


def test_a_fresh_processs_first_request_may_be_ingest(engine, redis):
    """Dash builds its layout on a process's first request; on ingest there is no cookie session to read."""
    from app import create_app
    from tests.support import make_settings

    fresh = create_app(make_settings()).test_client()
    response = post(fresh, _events(5)[:3])
    assert response.status_code == 202 and "Set-Cookie" not in response.headers
