"""Event search through the query API on data sent through the real ingest path: a whole address or Message-ID
is an exact, indexed match over any range (addresses ignore case, <> optional on a Message-ID); anything else is a
substring match capped at 7 days. Expected results are recomputed from the events sent.
"""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from tests.support import login, post, reset_everything, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.integration
DAY = 86_400_000
WANTED = "Carol.Ops@Example.ORG"  # mixed case as sent; searched in other cases


def _mine(events: list[dict], now: int) -> list[dict]:
    """Copies of some generated events re-addressed to WANTED (as recipient or sender), spread over 30 days."""
    out = []
    for i, e in enumerate(events[:40]):
        e = dict(e, event_id=f"{e['event_id']}.s{i}", timestamp=now - (i * 17 + 1) * 3_600_000)
        e["to_address" if i % 2 else "from_address"] = WANTED
        out.append(e)
    return out


def colliding_addresses(engine) -> tuple[str, str]:
    """Two addresses whose search keys share a hash (300,000 candidates hold about ten such pairs)."""
    with engine.connect() as conn:
        return tuple(conn.execute(text(
            "SELECT min(a), max(a) FROM (SELECT 'c' || g || '@collide.example' AS a "
            "FROM generate_series(1, 300000) g) s GROUP BY hashtext(a) HAVING count(*) > 1 LIMIT 1")).one())


@pytest.fixture(scope="module")
def searched(app, engine, test_users):
    """A logged-in client and every event sent (deduplicated by event_id), after ingesting them."""
    redis = reset_everything(engine)
    now = int(time.time() * 1000)
    events = dataset(11, now - 30 * DAY + 3_600_000, now, 1500, now_ms=now)
    events += _mine(events, now)
    sent_to, _ = colliding_addresses(engine)
    events += [dict(e, event_id=f"{e['event_id']}.c", to_address=sent_to) for e in events[100:103]]
    client = login(app.test_client())
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    run_worker(redis)
    yield client, {e["event_id"]: e for e in events}
    redis.flushdb()


def _all(client, **params) -> tuple[list[dict], str | None]:
    """Every page of an events query, following next_cursor; the events and the search mode reported."""
    found, cursor, mode = [], None, None
    while True:
        query = params | ({"cursor": cursor} if cursor else {}) | {"limit": 25}
        response = client.get("/api/v1/email/events", query_string=query)
        assert response.status_code == 200, response.json
        body = response.json
        found += body["events"]
        mode = body["search"]
        cursor = body["next_cursor"]
        if not cursor:
            return found, mode


def _expected(sent: dict, match) -> list[str]:
    return sorted(eid for eid, e in sent.items() if match(e))


def test_a_whole_address_is_found_exactly_over_30_days_whatever_its_case(searched):
    client, sent = searched
    want = _expected(sent, lambda e: WANTED.lower() in (str(e.get("to_address")).lower(),
                                                         str(e.get("from_address")).lower()))
    assert len(want) == 40
    for spelled in (WANTED, WANTED.lower(), WANTED.upper(), f"<{WANTED}>"):
        found, mode = _all(client, range="30d", q=spelled)
        assert mode == "exact"
        assert sorted(e["event_id"] for e in found) == want
        stamps = [e["timestamp"] for e in found]
        assert stamps == sorted(stamps, reverse=True)  # newest first across pages


def test_a_message_id_is_found_with_or_without_angle_brackets(searched):
    client, sent = searched
    message_id = next(e["message_id"] for e in sent.values() if e.get("message_id"))
    want = _expected(sent, lambda e: e.get("message_id") == message_id)
    for spelled in (message_id, message_id.strip("<>")):
        found, mode = _all(client, range="30d", q=spelled)
        assert (mode, sorted(e["event_id"] for e in found)) == ("exact", want)


def test_an_address_sharing_another_ones_hash_finds_only_its_own_events(searched, engine):
    client, sent = searched
    sent_to, never_sent = colliding_addresses(engine)
    found, _ = _all(client, range="30d", q=sent_to)
    assert sorted(e["event_id"] for e in found) == _expected(sent, lambda e: e.get("to_address") == sent_to)
    assert len(found) == 3
    assert _all(client, range="30d", q=never_sent) == ([], "exact")


def test_exact_search_keeps_the_other_filters(searched):
    client, sent = searched
    mine = _expected(sent, lambda e: WANTED in (e.get("to_address"), e.get("from_address")))
    want = _expected(sent, lambda e: e["event_id"] in mine and e["event_type"] != "received")
    for kind in ("delivered", "deferred", "bounced"):
        found, _ = _all(client, range="30d", q=WANTED, type=kind)
        assert sorted(e["event_id"] for e in found) == [i for i in want if sent[i]["event_type"] == kind]
    assert 0 < len(want) < len(mine)


def test_a_partial_term_is_a_substring_search_within_7_days(searched):
    client, sent = searched
    now = int(time.time() * 1000)
    term = "EXAMPLE.org"
    want = _expected(sent, lambda e: e["timestamp"] >= now - 7 * DAY and any(
        term.lower() in str(e.get(k) or "").lower() for k in ("to_address", "from_address", "message_id")))
    found, mode = _all(client, range="7d", q=term)
    assert mode == "substring" and want
    assert set(e["event_id"] for e in found) <= set(want)
    assert len(found) >= len(want) - 5  # the 7-day range starts when the request runs, a few events may fall out


def test_a_substring_over_more_than_7_days_is_refused_with_the_reason(searched):
    client, _ = searched
    response = client.get("/api/v1/email/events", query_string={"range": "30d", "q": "example"})
    assert response.status_code == 400
    assert "at most 7 days" in response.json["error"] and "whole address or Message-ID" in response.json["error"]


def test_no_search_reports_null(searched):
    client, _ = searched
    body = client.get("/api/v1/email/events", query_string={"range": "1h", "limit": 1}).json
    assert body["search"] is None
