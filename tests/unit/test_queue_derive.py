"""The pure queue derivations: zone counts from /counter/zone/, age brackets, oldest entry, reason buckets,
fresh/stale node records and their aggregate."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.queues import aggregate
from workers import queue_derive as qd

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _iso(seconds_ago: float) -> str:
    return (NOW - timedelta(seconds=seconds_ago)).isoformat().replace("+00:00", "Z")


def _entry(qid: str, seconds_ago: float, zone: str = "default", rcpt: str = "a@Example.com") -> dict:
    return {"id": qid, "zone": zone, "recipient": rcpt, "created": _iso(seconds_ago), "queued": _iso(0), "deferred": 0}


COUNTER = {"zone": "all",
           "active": {"entries": [{"key": "bulk", "value": 1}, {"key": "default", "value": 2}], "rows": 3},
           "deferred": {"entries": [{"key": "bulk", "value": 0}, {"key": "default", "value": 1}], "rows": 1}}
LISTS = {"default": {"queued": [_entry("q1", 90_000, rcpt="x@Old.example"), _entry("q2", 100)],
                     "deferred": [_entry("d1", 4000, rcpt="Defer@example.org")]},
         "bulk": {"queued": [_entry("b1", 700, zone="bulk")]}}


@pytest.mark.parametrize(("age", "bracket"), [
    (0, "lt_5m"), (299.9, "lt_5m"), (300, "5m_30m"), (1799, "5m_30m"), (1800, "30m_2h"), (7200, "2h_6h"),
    (21600, "6h_24h"), (86399, "6h_24h"), (86400, "gt_24h"), (10**7, "gt_24h"),
])
def test_bracket_boundaries(age, bracket):
    assert qd.bracket_of(age) == bracket


def test_zone_counts_ignore_the_all_key_and_merge_active_and_deferred():
    assert qd.zone_counts(COUNTER) == [{"zone": "bulk", "active": 1, "deferred": 0},
                                       {"zone": "default", "active": 2, "deferred": 1}]


def test_age_distribution_exact_when_every_entry_is_listed():
    ages, approximate = qd.age_distribution(qd.zone_counts(COUNTER), LISTS, NOW)
    assert {a["bracket"]: a["count"] for a in ages} == {
        "lt_5m": 1, "5m_30m": 1, "30m_2h": 1, "2h_6h": 0, "6h_24h": 0, "gt_24h": 1}
    assert [a["label"] for a in ages][0] == "< 5 min" and not approximate


def test_unlisted_entries_count_in_the_bracket_of_the_youngest_listed_one():
    zones = [{"zone": "default", "active": 1500, "deferred": 0}]
    lists = {"default": {"queued": [_entry("q", 90_000)] + [_entry(f"q{i}", 3000) for i in range(999)]}}
    ages, approximate = qd.age_distribution(zones, lists, NOW)
    assert {a["bracket"]: a["count"] for a in ages}["30m_2h"] == 999 + 500
    assert approximate


def test_oldest_is_the_earliest_created_over_zones_and_lists():
    oldest = qd.oldest(LISTS, NOW)
    assert oldest == {"id": "q1", "zone": "default", "created": _iso(90_000), "age_seconds": 90_000,
                      "recipient_domain": "old.example"}
    assert qd.oldest({}, NOW) is None


@pytest.mark.parametrize(("category", "reason_class", "response", "bucket"), [
    ("rate", "throttling", "421 RP-001 rate limit", "rate-limited"),
    ("capacity", "recipient", "421 Too many connections", "rate-limited"),
    ("greylist", "throttling", "451 4.7.1 Greylisted", "greylisted"),
    ("network", "infrastructure", "Connection refused", "mx/network unavailable"),
    ("dns", "infrastructure", "No MX server found", "mx/network unavailable"),
    ("network", "infrastructure", "Connection timed out", "timeout"),
    (None, None, "Timeout waiting for greeting", "timeout"),
    ("blacklist", "reputation", "554 listed at spamhaus", "blacklist/policy"),
    ("policy", "reputation", None, "blacklist/policy"),
    ("recipient", "recipient", "450 mailbox unavailable", "recipient"),
    ("protocol", "protocol", "451 bad sequence", "other"),
    (None, "other", "451 try again", "other"),
    (None, None, None, "unknown"),
])
def test_reason_buckets(category, reason_class, response, bucket):
    assert qd.reason_bucket(category, reason_class, response) == bucket


def test_deferred_reasons_use_each_recipients_latest_event_and_count_the_unknown():
    keys = qd.deferred_keys(LISTS) + [("d2", "b@example.org", _iso(10))]
    assert keys[0] == ("d1", "defer@example.org", _iso(4000))
    latest = {("d1", "defer@example.org"): ("greylist", "throttling", "451 greylisted")}
    assert qd.deferred_reasons(keys, latest) == {"greylisted": 1, "unknown": 1}


def test_stale_record_keeps_the_last_good_numbers_and_their_time():
    fresh = qd.fresh_record("mta-1", {"counter": COUNTER, "lists": LISTS}, {"greylisted": 1}, NOW)
    later = NOW + timedelta(seconds=10)
    stale = qd.stale_record("mta-1", fresh, "connection refused", later)
    assert (stale["stale"], stale["since"], stale["polled_at"]) == (True, NOW.isoformat(), later.isoformat())
    assert (stale["active"], stale["deferred"], stale["error"]) == (3, 1, "connection refused")
    never = qd.stale_record("mta-2", None, "timeout after 2 s", later)
    assert (never["since"], never["zones"], never["active"]) == (None, [], 0)


def test_aggregate_sums_nodes_and_flags_stale_ones():
    one = qd.fresh_record("mta-1", {"counter": COUNTER, "lists": LISTS}, {"greylisted": 1}, NOW)
    two = qd.stale_record("mta-2", dict(one, node="mta-2", deferred_reasons={"greylisted": 2, "rate-limited": 1}),
                          "timeout after 2 s", NOW)
    agg = aggregate([one, two], NOW)
    assert agg["totals"] == {"active": 6, "deferred": 2, "total": 8}
    assert agg["zones"] == [{"zone": "bulk", "active": 2, "deferred": 0, "total": 2},
                            {"zone": "default", "active": 4, "deferred": 2, "total": 6}]
    assert (agg["stale"], agg["stale_nodes"]) == (True, ["mta-2"])
    assert agg["deferred_reasons"] == [{"reason": "greylisted", "count": 3}, {"reason": "rate-limited", "count": 1}]
    assert sum(a["count"] for a in agg["ages"]) == 8
    assert agg["oldest"]["id"] == "q1" and agg["oldest"]["node"] in ("mta-1", "mta-2")
