"""Property-based fuzzing (hypothesis + schemathesis): no input makes the server answer 5xx, and nothing invalid
is ever stored. CI runs a bounded number of examples (FUZZ_EXAMPLES, default 100 per test; the file stays well
under a minute); `python -m bench.fuzz` runs the same tests with many more.

- The read API: schemathesis generates valid and invalid requests from /api/v1/openapi.json (WSGI, logged in).
- Ingest: every field of the contract gets SQL, HTML, NUL, lone surrogates, huge/NaN/infinite numbers and wrong
  types; raw bodies get random bytes, invalid UTF-8, malformed JSON, deep nesting and a 10 MB body. What is
  accepted (202) must be written by the worker without a dead letter, within the contract's limits.
"""

from __future__ import annotations

import itertools
import json
import os
import time

import pytest
import rq
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from sqlalchemy import text

from pipeline import jobs
from tests.support import login, post, run_worker, session_cookie

pytestmark = pytest.mark.integration
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(max_examples=EXAMPLES, deadline=None, derandomize="FUZZ_SEED" not in os.environ,
                suppress_health_check=list(HealthCheck))
HOSTILE = st.sampled_from([
    "' OR '1'='1", "'; DROP TABLE email_events; --", "1; SELECT pg_sleep(5)", "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>', "\x00", "a\x00b", "\ud800", "\udfff\ud800", "\u202e\u0000", "é" * 400,
    "x" * 5000, "", " ", "%s%n%x", "${jndi:ldap://x/a}", "../../etc/passwd", "\r\nX-Injected: 1", "🙂" * 100,
]) | st.text(max_size=200)
VALUES = (HOSTILE | st.integers(min_value=-2**80, max_value=2**80) | st.floats() | st.booleans() | st.none()
          | st.lists(st.integers(), max_size=3) | st.dictionaries(st.text(max_size=3), st.integers(), max_size=2))
FIELDS = ["event_id", "event_type", "direction", "timestamp", "mta_node", "queue_id", "seq", "message_id", "zone",
          "from_address", "from_domain", "to_address", "to_domain", "local_ip", "remote_ip", "mx_host", "smtp_code",
          "smtp_response", "bounce_category", "message_size", "delivery_time_ms", "attempt", "tls", "spam_score"]
_ids = itertools.count()


@pytest.fixture(scope="module")
def fuzz_client(app, engine, test_users):
    """A logged-in client; the module starts and ends with empty tables and Redis."""
    import redis as redis_lib

    from tests.support import REDIS_URL, TABLES, make_settings
    from workers import context

    context.use(make_settings())
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    with engine.begin() as db_conn:
        db_conn.execute(text("TRUNCATE " + ", ".join(TABLES)))
    yield login(app.test_client()), conn
    conn.flushdb()


def test_read_api_never_answers_5xx(app, fuzz_client):
    client, _ = fuzz_client
    cookie = session_cookie(client)

    def logged_in(environ, start_response):  # the viewer's session on every request schemathesis makes
        environ["HTTP_COOKIE"] = cookie
        return app(environ, start_response)

    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", logged_in)
    strategy = schema.as_strategy(GenerationMode.POSITIVE) | schema.as_strategy(GenerationMode.NEGATIVE)

    @FUZZ
    @given(case=strategy)
    def run(case):
        response = case.call()
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        assert response.headers["content-type"][0].startswith("application/json"), (case.path, response.text[:200])

    run()


def _event(overrides: dict) -> dict:
    event = {"event_id": f"fz-{next(_ids)}", "event_type": "bounced", "direction": "outbound",
             "timestamp": int(time.time() * 1000) - 1000, "mta_node": "mta-fz", "to_address": "bob@example.com"}
    event.update(overrides)
    return event


def test_hostile_fields_are_rejected_or_stored_within_the_contract(fuzz_client):
    client, redis = fuzz_client
    before = _stored_ids()  # the module's other tests may have stored events (in any order): leave those aside
    accepted: list[dict] = []

    @FUZZ
    @given(batch=st.lists(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=4), min_size=1, max_size=5))
    def run(batch):
        events = [_event(overrides) for overrides in batch]
        response = post(client, json.dumps(events).encode("utf-8", "surrogatepass"))
        assert response.status_code in (202, 400), response.get_data(as_text=True)[:300]
        bad = {r["index"] for r in response.json["rejected"]}
        if response.status_code == 202:  # a 400 for the whole body (e.g. NaN is not JSON) lists no indexes
            accepted.extend(e for i, e in enumerate(events) if i not in bad)

    run()
    run_worker(redis)
    assert sum(jobs.dead_letters(redis).values()) == 0
    assert rq.Queue("email-events-high", connection=redis).failed_job_registry.count == 0
    _assert_stored_rows_valid(accepted, before)


def _stored_ids() -> set[str]:
    from store import db

    with db.engine().connect() as conn:
        return set(conn.execute(text("SELECT event_id FROM email_events")).scalars())


def _assert_stored_rows_valid(accepted: list[dict], before: set[str]) -> None:
    from store import db

    stored = _stored_ids() - before
    with db.engine().connect() as conn:
        invalid = conn.execute(text("""
            SELECT count(*) FROM email_events WHERE length(event_id) NOT BETWEEN 1 AND 128
               OR length(mta_node) NOT BETWEEN 1 AND 255 OR length(queue_id) > 64 OR length(seq) > 16
               OR length(message_id) > 255 OR length(zone) > 64 OR length(from_address) > 320
               OR length(to_address) > 320 OR length(mx_host) > 255 OR length(smtp_response) > 500
               OR length(bounce_category) > 32 OR smtp_code NOT BETWEEN 200 AND 599 OR message_size < 0
               OR delivery_time_ms < 0 OR attempt < 1 OR spam_score IN ('NaN', 'Infinity', '-Infinity')
               OR ts > now() + interval '6 minutes'""")).scalar()
    assert invalid == 0
    expected = {e["event_id"] for e in accepted} - before
    assert stored == expected, [e for e in accepted if e["event_id"] in expected - stored][:3]


RAW = st.binary(max_size=3000) | st.sampled_from([
    b"", b"{", b"[", b"[]", b"{}", b"null", b"NaN", b"[NaN]", b'{"event_id": Infinity}', b"1" * 5000,
    b'{"timestamp": 1e999999}', b'[{"event_id": "\xff\xfe\xfd"}]', b"\xef\xbb\xbf[]", b'"\\ud800"',
    b"[" * 100_000 + b"]" * 100_000, b'{"a":' * 50_000 + b"1" + b"}" * 50_000, b"[1" + b",1" * 200_000 + b"]",
])


def test_malformed_bodies_are_400_or_413_never_5xx(fuzz_client):
    client, _ = fuzz_client

    @FUZZ
    @given(body=RAW)
    def run(body):
        response = post(client, body)
        assert response.status_code in (202, 400, 413), (body[:80], response.status_code)

    run()
    big = post(client, b"[" + b'{"event_id": "x"},' * 600_000 + b"{}]")  # ~10 MB
    assert big.status_code == 413


@pytest.mark.parametrize("field,value", [
    ("spam_score", 1e300), ("spam_score", -1e300), ("spam_score", 1e-300), ("spam_score", 3.5e38),
    ("message_size", 2**53), ("delivery_time_ms", 2**53), ("attempt", 1_000_000), ("smtp_code", 599),
    ("timestamp", 2**63), ("timestamp", "9999-12-31T23:59:59Z"), ("local_ip", ""), ("remote_ip", "::ffff:1.2.3.4"),
])
def test_extreme_values_are_rejected_or_stored(fuzz_client, field, value):
    client, redis = fuzz_client
    event = _event({field: value})
    dead = sum(jobs.dead_letters(redis).values())
    response = post(client, [event])
    assert response.status_code in (202, 400)
    run_worker(redis)
    assert sum(jobs.dead_letters(redis).values()) == dead
    from store import db

    with db.engine().connect() as conn:
        stored = conn.execute(text("SELECT 1 FROM email_events WHERE event_id = :e"), {"e": event["event_id"]}).first()
    assert (stored is not None) == (response.status_code == 202)
