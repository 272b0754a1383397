"""CSV export of the query API (issue 14, item 4) through the real app: the CSV holds exactly what the JSON answer
holds, text cells that a spreadsheet would run as a formula are neutralised, the body is streamed and paged lazily,
bounded by the range and the row cap, chosen by format=csv or Accept: text/csv, and needs a session.
"""

from __future__ import annotations

import csv
import io
import time
from datetime import UTC, datetime

import pytest

from tests.support import login, post, reset_everything, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.integration
HOUR = 3_600_000
FORMULA = "=+-@\t\r"


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


@pytest.fixture(scope="module")
def loaded(app, engine, test_users):
    """Logged-in client, the ingest window [start, end) in ms, and the ids of the events with formula cells."""
    redis = reset_everything(engine)
    now = int(time.time() * 1000)
    start, end = now - 5 * HOUR, now - HOUR
    events = dataset(7, start, end, 150)
    base = {"direction": "outbound", "mta_node": "mta-01", "queue_id": "fx0001", "seq": "001",
            "from_address": "+1@sender.example.net", "timestamp": start + HOUR}
    events += [base | {"event_id": "fx.1", "event_type": "bounced", "to_address": "=HYPERLINK(1)@example.com",
                       "smtp_response": "@SUM(1+1) 550 no such user", "bounce_category": "recipient"},
               base | {"event_id": "fx.2", "event_type": "deferred", "to_address": "-2+3@example.com",
                       "smtp_response": "-cmd|' /C calc'!A0", "timestamp": start + HOUR + 1}]
    client = login(app.test_client())
    assert post(client, events).status_code == 202
    run_worker(redis)
    yield client, start, end
    redis.flushdb()


def _json_events(client, **params) -> list[dict]:
    """Every event of the range by walking the JSON pages."""
    found, cursor = [], None
    while True:
        body = client.get("/api/v1/email/events", query_string={**params, "limit": "500"} |
                          ({"cursor": cursor} if cursor else {})).json
        found += body["events"]
        cursor = body["next_cursor"]
        if not cursor:
            return found


def _cell(value) -> str:
    """What the CSV must hold for a JSON value (written out here, independently of the exporter)."""
    if value is None:
        return ""
    if isinstance(value, str):
        return "'" + value if value[:1] and value[0] in FORMULA else value
    return str(value)


def _rows(response) -> tuple[list[dict], list[str]]:
    """Data rows and trailing comment lines of a CSV answer."""
    body = response.get_data(as_text=True)
    comments = [line for line in body.splitlines() if line.startswith("#")]
    data = "".join(line for line in body.splitlines(keepends=True) if not line.startswith("#"))
    return list(csv.DictReader(io.StringIO(data, newline=""))), comments


def test_events_csv_equals_the_json_pages_with_formula_cells_neutralised(loaded):
    client, start, end = loaded
    window = {"from": _iso(start - HOUR), "to": _iso(end + HOUR)}
    expected = _json_events(client, **window)
    response = client.get("/api/v1/email/events", query_string={**window, "format": "csv"})
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows, comments = _rows(response)
    assert comments == [] and len(rows) == len(expected) > 300
    assert rows == [{k: _cell(v) for k, v in event.items()} for event in expected]
    by_id = {r["event_id"]: r for r in rows}
    assert by_id["fx.1"]["to_address"] == "'=HYPERLINK(1)@example.com"
    assert by_id["fx.1"]["smtp_response"] == "'@SUM(1+1) 550 no such user"
    assert by_id["fx.2"]["smtp_response"] == "'-cmd|' /C calc'!A0" and by_id["fx.1"]["from_address"][0] == "'"
    assert not [c for r in rows for c in r.values() if c[:1] and c[0] in FORMULA]


def test_events_csv_streams_keyset_pages_as_the_client_reads(loaded, monkeypatch):
    from api import routes
    from store import event_log

    client, start, end = loaded
    calls = []
    real = event_log.event_page
    monkeypatch.setattr(routes, "EXPORT_PAGE", 40)
    monkeypatch.setattr(event_log, "event_page", lambda *a, **k: calls.append(k["limit"]) or real(*a, **k))
    window = {"from": _iso(start), "to": _iso(end), "type": "received"}
    response = client.get("/api/v1/email/events", query_string={**window, "format": "csv"})
    assert response.is_streamed and calls == [40]  # only the first page before the body is read
    rows, _ = _rows(response)
    assert len(calls) == len(rows) // 40 + 1 > 2 and set(calls) == {40}
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in _json_events(client, **window)]


def test_events_csv_is_bounded_by_the_range_and_the_cap(loaded, monkeypatch):
    from api import routes

    client, start, end = loaded
    low, high = start + HOUR, start + 2 * HOUR
    response = client.get("/api/v1/email/events", query_string={"from": _iso(low), "to": _iso(high),
                                                               "format": "csv"})
    rows, _ = _rows(response)
    assert rows and all(_iso(low) <= r["timestamp"] < _iso(high) for r in rows)
    assert len(rows) == len(_json_events(client, **{"from": _iso(low), "to": _iso(high)}))
    stamp = lambda ms: datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y%m%dT%H%M%SZ")  # noqa: E731
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="mailflow-events-{stamp(low)}-{stamp(high)}.csv"')
    monkeypatch.setattr(routes, "MAX_EXPORT_ROWS", 25)
    capped = client.get("/api/v1/email/events", query_string={"from": _iso(low), "to": _iso(high), "format": "csv"})
    rows_capped, comments = _rows(capped)
    assert capped.headers["X-Row-Cap"] == "25" and rows_capped == rows[:25]
    assert comments == ["# truncated at 25 rows (the export cap); narrow the range or the filters"]


@pytest.mark.parametrize("by", ["domain", "provider", "node"])
def test_stats_csv_equals_the_json_answer(loaded, by):
    client, *_ = loaded
    params = {"by": by, "range": "24h", "sort": "delivered"}
    body = client.get("/api/v1/email/stats", query_string={**params, "limit": "100"}).json
    response = client.get("/api/v1/email/stats", query_string={**params, "format": "csv"})
    assert response.is_streamed and "filename=\"mailflow-stats-by-" + by in response.headers["Content-Disposition"]
    rows, _ = _rows(response)
    expected = [{"row": "group", **g} for g in body["groups"]] + [{"row": "total", **body["total"]}]
    assert body["other"] is None and len(body["groups"]) > 1
    assert rows == [{k: _cell(v) for k, v in row.items()} for row in expected]


def test_accept_header_chooses_the_format(loaded):
    client, *_ = loaded
    url = "/api/v1/email/stats?by=provider&range=24h"
    assert client.get(url, headers={"Accept": "text/csv"}).mimetype == "text/csv"
    assert client.get(url, headers={"Accept": "text/csv;q=0.5, application/json"}).is_json
    assert client.get(url, headers={"Accept": "*/*"}).is_json and client.get(url).is_json
    assert client.get(url + "&format=json", headers={"Accept": "text/csv"}).is_json
    events = client.get("/api/v1/email/events?range=24h", headers={"Accept": "text/csv"})
    assert events.mimetype == "text/csv" and events.is_streamed


@pytest.mark.parametrize("query", ["events?format=xml", "events?format=csv&limit=10", "events?format=csv&type=x",
                                   "events?format=csv&cursor=nope", "stats?format=csv&by=domain&node=a"])
def test_bad_csv_requests_are_400_json(loaded, query):
    client, *_ = loaded
    response = client.get("/api/v1/email/" + query)
    assert response.status_code == 400 and "error" in response.json


def test_csv_export_needs_a_session(app, loaded):
    anonymous = app.test_client()
    for url in ("/api/v1/email/events?format=csv", "/api/v1/email/stats?format=csv"):
        assert anonymous.get(url).status_code == 401
    assert anonymous.get("/api/v1/email/events", headers={"Accept": "text/csv"}).status_code == 401


def _hrefs(client, path: str, search: str) -> list[str]:
    """The CSV links the page's callbacks give for this URL, as the browser would receive them."""
    from tests.integration.test_url_params import _call, _url_callbacks

    found = []
    for key, spec in _url_callbacks(client):
        if "-csv.href" in key:
            response = _call(client, key, spec, path, search).json["response"]
            found += [props["href"] for id_, props in response.items() if id_.endswith("-csv")]
    return found


def test_page_links_download_what_the_page_shows(loaded):
    client, start, end = loaded
    fmt = "%Y-%m-%dT%H:%M"
    low, high = (datetime.fromtimestamp(ms / 1000, UTC).strftime(fmt) for ms in (start, end))
    search = f"?range=custom&from={low}&to={high}&type=delivered&node=mta-01"
    events_link = [h for h in _hrefs(client, "/events", search) if "/events?" in h]
    assert len(events_link) == 1
    rows, _ = _rows(client.get(events_link[0]))
    expected = _json_events(client, **{"from": low + ":00Z", "to": high + ":00Z", "type": "delivered",
                                       "node": "mta-01"})
    assert [r["event_id"] for r in rows] == [e["event_id"] for e in expected] and rows
    stats_links = sorted(h for h in _hrefs(client, "/performance", "?range=24h") if "/stats?" in h)
    assert len(stats_links) == 2 and all("direction=outbound" in h and "range=24h" in h for h in stats_links)
    for link, by in zip(stats_links, ("domain", "provider"), strict=True):
        response = client.get(link)
        assert response.mimetype == "text/csv" and f"by={by}" in link
        assert {r["row"] for r in _rows(response)[0]} == {"group", "total"}
