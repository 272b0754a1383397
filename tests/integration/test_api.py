"""The query API against an independent pandas recomputation from the generated events.

One data set per module (30 days, 5 % duplicates, shuffled) goes through the real ingest path (POST -> Redis ->
worker); every endpoint's figures are then recomputed from the generated events, deduplicated by
(event_id, timestamp): counts must be equal, percentiles within 5 % of the exact nearest-rank value.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from ingest.derive import REASON_CLASSES, ProviderMap
from store import reputation
from store.filters import Filters
from store.histogram import BRACKETS, edge_bin
from store.reply_templates import listing, template
from store.rollups import DT_RATIO, SIZE_EDGES
from tests.support import login, post, reset_everything, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.integration
TYPES = ["received", "delivered", "deferred", "bounced", "rejected", "greylisted", "dropped"]
FAILURES = ["deferred", "bounced", "rejected", "greylisted"]
DAY = 86_400_000


@pytest.fixture(scope="module")
def loaded(app, engine, test_users):
    """Logged-in client + the deduplicated reference frame, after ingesting ~7K events over the last 30 days."""
    redis = reset_everything(engine)
    now = int(time.time() * 1000)
    events = dataset(5, now - 30 * DAY + 3_600_000, now, 3300, duplicates=0.05, shuffle=True, now_ms=now)
    client = login(app.test_client())
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    run_worker(redis)
    yield client, reference(events)
    redis.flushdb()


def reference(events: list[dict]) -> pd.DataFrame:
    """The generated events, deduplicated, with the derived columns the rollups key on."""
    df = pd.DataFrame(events).drop_duplicates(["event_id", "timestamp"]).reset_index(drop=True)
    providers = ProviderMap.load()
    df["ts"] = pd.to_datetime(df["timestamp"], unit="ms", utc=True)
    domain = lambda a: a.rsplit("@", 1)[1].lower() if isinstance(a, str) and "@" in a else ""  # noqa: E731
    df["peer"] = [domain(t) if d == "outbound" else domain(f)
                  for d, t, f in zip(df.direction, df.to_address, df.from_address, strict=True)]
    df["provider"] = [providers.lookup(mx if isinstance(mx, str) else None, p) for mx, p in zip(df.mx_host, df.peer,
                                                                                                strict=True)]
    df["category"] = df.bounce_category.fillna("")
    df["reason"] = [REASON_CLASSES.get(c, "other") for c in df.category]
    df["response"] = [template(r if isinstance(r, str) else None) for r in df.smtp_response]
    df["zone"] = df.zone.fillna("")
    df["local_ip"] = df.local_ip.fillna("")
    df["sender"] = [domain(f) if d == "outbound" else None for d, f in zip(df.direction, df.from_address, strict=True)]
    return df


def window(df: pd.DataFrame, body: dict) -> pd.DataFrame:
    """The reference rows inside the [start, end) the endpoint reports."""
    start, end = pd.Timestamp(body["range"]["start"]), pd.Timestamp(body["range"]["end"])
    return df[(df.ts >= start) & (df.ts < end)]


def get(client, path: str, status: int = 200, **params) -> dict:
    response = client.get(f"/api/v1/email/{path}", query_string=params)
    assert response.status_code == status, response.json
    return response.json


def exact_percentile(values, p: float) -> float:
    ordered = np.sort(np.asarray(values))
    return float(ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1])


def assert_close(api_value, values, p: float) -> None:
    exact = exact_percentile(values, p)
    assert abs(api_value - exact) <= 0.05 * exact, (p, api_value, exact)


def type_counts(frame: pd.DataFrame) -> dict:
    counts = frame.event_type.value_counts()
    return {t: int(counts.get(t, 0)) for t in TYPES}


def iso(ts: pd.Timestamp) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


def expected_series(frame: pd.DataFrame, body: dict) -> list[dict]:
    width = pd.Timedelta(seconds=body["range"]["bucket_seconds"])
    start, end = pd.Timestamp(body["range"]["start"]), pd.Timestamp(body["range"]["end"])
    buckets = (start + width * ((frame.ts - start) // width)).dt.floor("s")
    counts = frame.groupby([buckets, frame.event_type]).size()
    return [{"time": iso(b), **{t: int(counts.get((b, t), 0)) for t in TYPES}}
            for b in pd.date_range(start, end, freq=width, inclusive="left")]


@pytest.mark.parametrize("params", [{"range": "24h"}, {"range": "7d"}, {"range": "30d"}, {"range": "1h"},
                                    {"range": "30d", "direction": "inbound"}, {"range": "7d", "node": "mta-02"},
                                    {"range": "30d", "domain": "gmail.com"}, {"range": "7d", "provider": "outlook"}])
def test_throughput_matches_raw_counts(loaded, params):
    client, df = loaded
    body = get(client, "throughput", **params)
    frame = window(df, body)
    frame = frame[frame.direction == params["direction"]] if "direction" in params else frame
    frame = frame[frame.mta_node == params["node"]] if "node" in params else frame
    frame = frame[frame.peer == params["domain"]] if "domain" in params else frame
    frame = frame[frame.provider == params["provider"]] if "provider" in params else frame
    assert body["series"] == expected_series(frame, body)
    assert len(body["series"]) == {"1h": 12, "24h": 24, "7d": 168, "30d": 30}[params["range"]]


def test_throughput_by_node(loaded):
    client, df = loaded
    body = get(client, "throughput", range="24h", by="node")
    frame = window(df, body)
    assert [s["node"] for s in body["series"]] == sorted(frame.mta_node.unique())
    for series in body["series"]:
        assert series["points"] == expected_series(frame[frame.mta_node == series["node"]], body)


@pytest.mark.parametrize("params", [{"range": "30d"}, {"range": "24h", "direction": "outbound"},
                                    {"range": "7d", "zone": "bulk"}, {"range": "30d", "provider": "gmail"}])
def test_summary_counts_rates_and_bytes(loaded, params):
    client, df = loaded
    body = get(client, "summary", **params)
    frame = window(df, body)
    frame = frame[frame.zone == params["zone"]] if "zone" in params else frame
    frame = frame[frame.provider == params["provider"]] if "provider" in params else frame
    hours = (pd.Timestamp(body["range"]["end"]) - pd.Timestamp(body["range"]["start"])) / pd.Timedelta(hours=1)
    for direction, figures in body["directions"].items():
        part = frame[frame.direction == direction]
        counts = type_counts(part)
        assert figures["counts"] == counts
        assert figures["per_hour"] == {t: round(n / hours, 2) for t, n in counts.items()}
        assert figures["received_bytes"] == int(part[part.event_type == "received"].message_size.sum())
        if counts["received"]:
            assert figures["bounce_rate"] == round(counts["bounced"] / counts["received"], 4)
    assert set(body["directions"]) == ({params["direction"]} if "direction" in params else {"outbound", "inbound"})


KEY_COLUMN = {"domain": "peer", "provider": "provider", "node": "mta_node", "zone": "zone", "ip": "local_ip",
              "sender": "sender", "category": "category"}


def expected_group(part: pd.DataFrame) -> dict:
    delivered = part[part.event_type == "delivered"]
    return {"total": len(part), **type_counts(part),
            "received_bytes": int(part[part.event_type == "received"].message_size.fillna(0).sum()),
            "delivered_bytes": int(delivered.message_size.fillna(0).sum())}


def check_group(row: dict, part: pd.DataFrame, with_p95: bool) -> None:
    assert {k: row[k] for k in expected_group(part)} == expected_group(part), row["key"]
    times = part[part.event_type == "delivered"].delivery_time_ms.dropna()
    if len(times):
        assert row["avg_delivery_ms"] == pytest.approx(times.mean(), abs=0.051)
        if with_p95:
            assert_close(row["p95_delivery_ms"], times, 95)
            assert_close(row["p99_delivery_ms"], times, 99)
    else:
        assert row["avg_delivery_ms"] is None


@pytest.mark.parametrize("by, params", [("domain", {"range": "30d"}), ("provider", {"range": "7d"}),
                                        ("node", {"range": "24h"}), ("zone", {"range": "30d", "direction": "outbound"}),
                                        ("ip", {"range": "30d"}), ("category", {"range": "30d"}),
                                        ("sender", {"range": "30d", "direction": "outbound"}),
                                        ("sender", {"range": "7d", "sort": "bounce_rate", "limit": "3"}),
                                        ("domain", {"range": "30d", "sort": "bounced", "limit": "3"}),
                                        ("domain", {"range": "30d", "sort": "p95_delivery_ms", "limit": "5"}),
                                        ("domain", {"range": "30d", "domain": "yahoo.com"})])
def test_stats_groups_other_and_total(loaded, by, params):
    client, df = loaded
    body = get(client, "stats", by=by, **params)
    frame = window(df, body)
    frame = frame[frame.direction == params["direction"]] if "direction" in params else frame
    frame = frame[frame.direction == "outbound"] if by == "sender" else frame  # sender dims are outbound only
    frame = frame[frame.event_type.isin(FAILURES)] if by == "category" else frame
    frame = frame[frame.peer == params["domain"]] if "domain" in params else frame
    column, with_p95 = KEY_COLUMN[by], by in ("domain", "provider", "node", "zone")
    shown = [g["key"] or "" for g in body["groups"]]
    assert len(shown) == min(int(params.get("limit", 10)), frame[column].nunique())
    for row in body["groups"]:
        check_group(row, frame[frame[column] == (row["key"] or "")], with_p95)
    sort = params.get("sort", "total")
    values = [g[sort] for g in body["groups"]]
    assert values == sorted(values, reverse=True)
    rest = frame[~frame[column].isin(shown)]
    if len(rest):
        check_group(body["other"], rest, with_p95)
    else:
        assert body["other"] is None
    check_group(body["total"], frame, with_p95)


@pytest.mark.parametrize("params", [{"range": "30d"}, {"range": "24h"}, {"range": "7d", "zone": "default"},
                                    {"range": "30d", "direction": "inbound"}, {"range": "30d", "domain": "gmail.com"}])
def test_performance_percentiles_brackets_trend_and_domains(loaded, params):
    client, df = loaded
    body = get(client, "performance", **params)
    frame = window(df, body)
    frame = frame[(frame.event_type == "delivered") & (frame.direction == params.get("direction", "outbound"))]
    frame = frame[frame.zone == params["zone"]] if "zone" in params else frame
    frame = frame[frame.peer == params["domain"]] if "domain" in params else frame
    times = frame.delivery_time_ms.dropna()
    assert body["delivered"] == len(times)
    assert body["avg_ms"] == pytest.approx(times.mean(), abs=0.051)
    for p in (50, 95, 99):
        assert_close(body[f"p{p}"], times, p)
    edges = [0.0] + [DT_RATIO ** edge_bin(e) for _, e in BRACKETS[:-1]] + [math.inf]
    assert [b["events"] for b in body["histogram"]] == [
        int(((times >= lo) & (times < hi)).sum()) for lo, hi in zip(edges, edges[1:], strict=False)]
    assert all(abs(b["to_ms"] / e - 1) < 0.04 for b, (_, e) in zip(body["histogram"], BRACKETS[:-1], strict=False))
    width, start = pd.Timedelta(seconds=body["range"]["bucket_seconds"]), pd.Timestamp(body["range"]["start"])
    buckets = start + width * ((frame.ts - start) // width)
    for point in body["trend"]:
        part = frame[buckets == pd.Timestamp(point["time"])].delivery_time_ms.dropna()
        assert point["delivered"] == len(part)
        if len(part) >= 20:
            assert_close(point["p95_ms"], part, 95)
    for dim, column in (("domain", "peer"), ("provider", "provider")):
        rows = body[f"by_{dim}"]
        if "zone" in params or dim == "provider" and "domain" in params:
            assert rows is None and body[f"by_{dim}_note"]
            continue
        assert rows and len(rows) == min(10, frame[column].nunique())
        assert [r["delivered"] for r in rows] == sorted((r["delivered"] for r in rows), reverse=True)
        for row in rows:
            part = frame[frame[column] == (row[dim] or "")].delivery_time_ms.dropna()
            assert row["delivered"] == len(part)
            assert row["avg_ms"] == pytest.approx(part.mean(), abs=0.051)
            assert_close(row["p95_ms"], part, 95)
            assert_close(row["p99_ms"], part, 99)


@pytest.mark.parametrize("params", [{"range": "30d"}, {"range": "24h", "direction": "inbound"}])
def test_sizes(loaded, params):
    client, df = loaded
    body = get(client, "sizes", **params)
    frame = window(df, body)
    frame = frame[(frame.event_type == "received") & frame.message_size.notna()]
    frame = frame[frame.direction == params["direction"]] if "direction" in params else frame
    edges = [0, *SIZE_EDGES, math.inf]
    assert [b["events"] for b in body["histogram"]] == [
        int(((frame.message_size >= lo) & (frame.message_size < hi)).sum()) for lo, hi in zip(edges, edges[1:],
                                                                                               strict=False)]
    assert body["messages"] == len(frame) and body["bytes"] == int(frame.message_size.sum())
    assert sum(p["messages"] for p in body["trend"]) == len(frame)


def test_bounce_analysis(loaded):
    client, df = loaded
    body = get(client, "bounce-analysis", range="30d", limit="5")
    frame = window(df, body)
    failed = frame[frame.event_type.isin(FAILURES)]
    assert body["failures"] == {t: int((failed.event_type == t).sum()) for t in FAILURES}
    assert body["hard_vs_soft"]["hard"] == body["failures"]["bounced"]
    assert body["uncategorised"]["events"] == int((failed.category == "").sum())
    for key, column in (("by_category", "category"), ("by_reason", "reason"), ("top_responses", "response")):
        counts = failed.groupby(column).size().sort_values(ascending=False)
        assert {(r["key"] or ""): r["failures"] for r in body[key]} == {
            k: int(n) for k, n in counts.items() if k in {(r["key"] or "") for r in body[key]}}
        assert sorted((r["failures"] for r in body[key]), reverse=True) == [r["failures"] for r in body[key]]
    assert len(body["top_responses"]) == min(5, failed.response.nunique())
    top = failed.groupby("peer").size().sort_values(ascending=False)
    assert [r["failures"] for r in body["by_domain"]] == [int(n) for n in top.iloc[:5]]
    for row in body["by_domain"]:
        part = frame[frame.peer == (row["key"] or "")]
        assert row["bounced"] == int((part.event_type == "bounced").sum())
        assert row["delivered"] == int((part.event_type == "delivered").sum())


def walk(client, **params) -> list[dict]:
    seen, cursor = [], None
    while True:
        body = get(client, "events", **params, **({"cursor": cursor} if cursor else {}))
        seen += body["events"]
        cursor = body["next_cursor"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("params", [{}, {"type": "bounced", "direction": "outbound"}, {"q": "USER1"},
                                    {"domain": "gmail.com", "node": "mta-01"}, {"ip": "192.0.2.11"},
                                    {"sender": "SENDER3.example.net", "type": "bounced"}])
def test_events_pagination_walks_everything_once_newest_first(loaded, params):
    client, df = loaded
    end = df.ts.max() + pd.Timedelta(milliseconds=1)
    start = end - pd.Timedelta(days=6) if "q" in params else df.ts.min() + pd.Timedelta(days=3)  # q: 7 days max
    got = walk(client, **{"from": iso(start), "to": str(end.value // 10**6), "limit": "97"}, **params)
    frame = df[(df.ts >= start.floor("s")) & (df.ts < end)]
    if "type" in params:
        frame = frame[(frame.event_type == params["type"]) & (frame.direction == params.get("direction", "outbound"))]
    if "ip" in params:
        frame = frame[frame.local_ip == params["ip"]]
    if "sender" in params:
        frame = frame[frame.sender == params["sender"].lower()]
    if "q" in params:
        hay = frame.to_address.fillna("") + "|" + frame.from_address.fillna("") + "|" + frame.message_id.fillna("")
        frame = frame[hay.str.lower().str.contains(params["q"].lower(), regex=False)]
    if "domain" in params:
        frame = frame[(frame.peer == params["domain"]) & (frame.mta_node == params["node"])]
    keys = [(e["timestamp"], e["event_id"]) for e in got]
    assert len(keys) == len(set(keys)) == len(frame) > 0
    assert {e["event_id"] for e in got} == set(frame.event_id)
    assert keys == sorted(keys, reverse=True)


def test_message_timeline(loaded):
    client, df = loaded
    queue_id = df[df.event_type == "deferred"].queue_id.iloc[0]
    body = client.get(f"/api/v1/email/messages/{queue_id}").json
    expected = df[df.queue_id == queue_id].sort_values(["ts", "event_id"])
    assert [e["event_id"] for e in body["events"]] == list(expected.event_id)
    assert body["events"][0]["timestamp"].endswith("Z")
    assert client.get("/api/v1/email/messages/nope-not-there").status_code == 404


@pytest.mark.parametrize("path, params", [
    ("throughput", {"range": "2h"}), ("throughput", {"by": "zone"}), ("throughput", {"direction": "sideways"}),
    ("throughput", {"node": "mta-01", "domain": "gmail.com"}), ("throughput", {"by": "node", "provider": "gmail"}),
    ("throughput", {"from": "yesterday"}), ("throughput", {"range": "24h", "from": "2026-01-01T00:00:00Z"}),
    ("throughput", {"from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"}), ("throughput", {"to": "1"}),
    ("throughput", {"bogus": "1"}), ("throughput", {"node": "a\x00b"}), ("throughput", {"from": "99999999999999"}),
    ("stats", {"by": "colour"}), ("stats", {"sort": "nope"}), ("stats", {"limit": "0"}), ("stats", {"limit": "x"}),
    ("stats", {"by": "domain", "node": "mta-01"}), ("stats", {"by": "node", "domain": "gmail.com"}),
    ("stats", {"by": "ip", "domain": "gmail.com"}), ("performance", {"node": "a", "provider": "gmail"}),
    ("performance", {"limit": "1000"}), ("sizes", {"domain": "gmail.com"}), ("sizes", {"range": "1y"}),
    ("bounce-analysis", {"node": "mta-01"}), ("bounce-analysis", {"direction": ""}), ("summary", {"zone": ""}),
    ("summary", {"domain": "x", "provider": "y"}), ("events", {"type": "opened"}), ("events", {"cursor": "!!"}),
    ("events", {"cursor": "WyJ4IiwxXQ"}), ("events", {"limit": "501"}), ("events", {"q": "x" * 201}),
    ("events", {"sort": "ts"}), ("events", {"q": "user", "range": "30d"}), ("events", {"ip": "192.0.2.999"}),
    ("events", {"sender": ""}), ("stats", {"by": "sender", "provider": "gmail"}),
])
def test_bad_parameters_answer_400_json(loaded, path, params):
    client, _ = loaded
    body = get(client, path, status=400, **params)
    assert isinstance(body["error"], str) and body["error"]


def test_repeated_parameter_and_timeline_parameters_are_rejected(loaded):
    client, _ = loaded
    assert client.get("/api/v1/email/summary?range=1h&range=24h").status_code == 400
    assert client.get("/api/v1/email/messages/abc?x=1").status_code == 400


def test_empty_range_gives_zero_filled_series(loaded):
    client, _ = loaded
    body = get(client, "throughput", **{"from": "2030-01-01T00:00:00Z", "to": "2030-01-01T06:00:00Z"})
    assert len(body["series"]) == 6 and all(p["delivered"] == 0 for p in body["series"])
    perf = get(client, "performance", **{"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"})
    assert perf["p95"] is None and perf["delivered"] == 0
    assert get(client, "events", **{"from": "2030-01-01T00:00:00Z", "to": "2030-01-02T00:00:00Z"})["events"] == []


def test_query_api_needs_a_session(app, loaded):
    assert app.test_client().get("/api/v1/email/summary").status_code == 401


def test_openapi_document_lists_every_endpoint_and_parameter(loaded):
    from api.routes import PARAMS

    client, _ = loaded
    doc = client.get("/api/v1/openapi.json").json
    assert doc["openapi"].startswith("3.")
    for endpoint, names in PARAMS.items():
        params = doc["paths"][f"/api/v1/email/{endpoint}"]["get"]["parameters"]
        assert {p["name"] for p in params} == set(names)
        assert all(p["schema"] for p in params)
    assert "/api/v1/email/messages/{queue_id}" in doc["paths"]


NASTY = ["", "\x00", "é✓", "x" * 5000, "-1", "0", "1e9", "99999999999999999999", "2026-02-30T00:00:00Z",
         "2026-11-28T00:00:00+24:00", "' OR 1=1 --", "%", "null", "[]"]


def test_no_parameter_value_from_the_openapi_document_causes_a_500(loaded):
    client, _ = loaded
    doc = client.get("/api/v1/openapi.json").json
    cursor = get(client, "events", limit="1")["next_cursor"]
    for path, item in doc["paths"].items():
        for param in item.get("get", {}).get("parameters", []):  # the alert-rule writes have their own tests
            enum = param["schema"].get("enum", [])
            for value in [*enum, *NASTY, cursor[:-1] + "A", cursor + "=="]:
                if param["in"] == "path":
                    url, query = path.replace("{" + param["name"] + "}", value.replace("/", "_") or "_"), {}
                else:
                    url, query = path, {param["name"]: value}
                response = client.get(url, query_string=query)
                assert response.status_code in (200, 400, 404), (url, query, response.status_code)
                if query == {"format": "csv"} and response.status_code == 200:  # the one non-JSON answer
                    assert response.mimetype == "text/csv" and response.get_data()
                    continue
                assert response.is_json and (response.status_code == 200) == ("error" not in response.json)


@pytest.mark.parametrize("by, column", [("ip", "local_ip"), ("sender", "sender")])
def test_reputation_tables_match_raw_events(loaded, engine, by, column):
    client, df = loaded
    with engine.connect() as conn:
        body = reputation.reputation(conn, Filters.from_query({"range": "30d"}), by, limit=5)
    frame = window(df, body)
    frame = frame[frame.direction == "outbound"]
    assert body["keys"] == frame[column].nunique()
    for row in body["groups"]:
        part = frame[frame[column] == (row["key"] or "")]
        assert {t: row[t] for t in TYPES} == type_counts(part)
        failed = part[part.event_type.isin(FAILURES)]
        assert {r["reason"]: r["failures"] for r in row["reasons"]} == failed.groupby("reason").size().to_dict()
        listed = failed[[listing(r, c) for r, c in zip(failed.smtp_response, failed.reason, strict=True)]]
        assert {r["response"]: r["failures"] for r in row["listings"]} == listed.groupby("response").size().to_dict()
        trend = [p for p in body["trend"] if p["key"] == row["key"]]
        assert sum(p["bounced"] for p in trend) == row["bounced"]
    assert [g["total"] for g in body["groups"]] == sorted((g["total"] for g in body["groups"]), reverse=True)


def test_provider_matrix_matches_raw_events(loaded, engine):
    client, df = loaded
    with engine.connect() as conn:
        body = reputation.provider_matrix(conn, Filters.from_query({"range": "7d"}))
    frame = window(df, body)
    frame = frame[frame.direction == "outbound"]
    expected = frame.groupby(["local_ip", "provider", "event_type"]).size()
    assert len(body["cells"]) == frame.groupby(["local_ip", "provider"]).ngroups
    for cell in body["cells"]:
        key = (cell["ip"] or "", cell["provider"])
        assert [cell[t] for t in ("received", "delivered", "bounced")] == [
            int(expected.get((*key, t), 0)) for t in ("received", "delivered", "bounced")]
        assert cell["delivery_rate"] == (round(cell["delivered"] / cell["received"], 4) if cell["received"] else None)
