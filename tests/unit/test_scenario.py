"""The demo's story (issue 15 item 1), as pure logic: the daily and weekly rhythm, the incident windows, one moment
per event, and events the real ingest validator accepts."""

from __future__ import annotations

import json
from collections import Counter

import pytest

from ingest.schema import parse_events
from tools.outbox import Outbox
from tools.scenario import BLOCKED_IP, DAY_MS, GIVE_UP_MS, HOUR_MS, MICROSOFT, UNREACHABLE, Scenario, rhythm

# Wednesday 2025-12-03 12:00 UTC: the history then covers the previous Wednesday .. this one, a weekend included
ANCHOR = 1_764_763_200_000


@pytest.fixture(scope="module")
def week() -> tuple[Scenario, list[list[dict]]]:
    scenario = Scenario(ANCHOR, seed=3, peak_rate=Scenario.peak_for(60_000, ANCHOR - 7 * DAY_MS, ANCHOR))
    return scenario, list(scenario.messages(ANCHOR - 7 * DAY_MS, ANCHOR))


def _weekday(ts: int) -> int:
    return (ts // DAY_MS + 3) % 7


def test_the_anchor_is_the_wednesday_the_tests_assume():
    assert _weekday(ANCHOR) == 2


def test_rhythm_peaks_in_office_hours_and_is_lighter_at_weekends():
    wednesday = ANCHOR - ANCHOR % DAY_MS
    assert rhythm(wednesday + 13 * HOUR_MS) > 5 * rhythm(wednesday + 3 * HOUR_MS)
    saturday = wednesday - 4 * DAY_MS
    assert _weekday(saturday) == 5
    assert rhythm(saturday + 13 * HOUR_MS) < 0.6 * rhythm(wednesday + 13 * HOUR_MS)


def test_volume_follows_the_rhythm_and_the_requested_size(week):
    _scenario, messages = week
    events = sum(len(m) for m in messages)
    assert events == pytest.approx(60_000, rel=0.1)
    by_hour = Counter((m[0]["timestamp"] % DAY_MS) // HOUR_MS for m in messages)
    assert sum(by_hour[h] for h in (12, 13, 14)) > 4 * sum(by_hour[h] for h in (2, 3, 4))
    weekdays = Counter(_weekday(m[0]["timestamp"]) for m in messages)
    assert weekdays[5] + weekdays[6] < 0.7 * (weekdays[0] + weekdays[1])


def test_every_event_has_its_own_millisecond_and_consistent_delivery_times(week):
    _scenario, messages = week
    stamps = [e["timestamp"] for m in messages for e in m]
    assert len(stamps) == len(set(stamps))
    for message in messages:
        start = message[0]["timestamp"]
        assert len({(e["mta_node"], e.get("from_address"), e.get("local_ip")) for e in message}) == 1
        assert [e["timestamp"] for e in message] == sorted(e["timestamp"] for e in message)
        assert all(e["delivery_time_ms"] == e["timestamp"] - start for e in message if "delivery_time_ms" in e)


def test_provider_incident_defers_microsoft_mail_until_it_ends(week):
    scenario, messages = week
    incident = next(i for i in scenario.incidents if i.kind == "provider" and i.end_ms <= ANCHOR)
    inside = [m for m in messages if incident.covers(m[0]["timestamp"]) and m[0]["direction"] == "outbound"
              and m[0]["to_address"].rpartition("@")[2] in MICROSOFT]
    busy = [m for m in inside if any("Server busy" in e.get("smtp_response", "") for e in m)]
    assert len(inside) > 20 and len(busy) > 0.7 * len(inside)
    for message in busy:  # retried while it lasts, delivered after
        assert message[-1]["event_type"] == "delivered" and message[-1]["timestamp"] >= incident.end_ms
        assert all(e["timestamp"] < incident.end_ms for e in message if e["event_type"] == "deferred")
    outside = [e for m in messages if not incident.covers(m[0]["timestamp"]) for e in m]
    assert not any("Server busy" in e.get("smtp_response", "") for e in outside)


def test_blocklisting_bounces_only_the_listed_ip_during_the_episode(week):
    scenario, messages = week
    incident = next(i for i in scenario.incidents if i.kind == "blocklist")
    listed = [(m[0], e) for m in messages for e in m if "spamhaus.org/query" in e.get("smtp_response", "")]
    assert len(listed) > 20
    for first, event in listed:
        assert event["event_type"] == "bounced" and event["bounce_category"] == "blacklist"
        assert event["local_ip"] == BLOCKED_IP and BLOCKED_IP in event["smtp_response"]
        assert incident.covers(first["timestamp"])
    nodes = Counter(e["mta_node"] for _f, e in listed)
    assert len(nodes) == 1  # one IP belongs to one node


def test_one_node_is_quiet_for_its_hour_while_the_others_carry_on(week):
    scenario, messages = week
    quiet = next(i for i in scenario.incidents if i.kind == "quiet")
    during = Counter(e["mta_node"] for m in messages for e in m if quiet.covers(e["timestamp"]))
    assert during[quiet.target] == 0 and sum(during.values()) > 0
    before = Counter(e["mta_node"] for m in messages for e in m
                     if quiet.start_ms - HOUR_MS <= e["timestamp"] < quiet.start_ms)
    assert before[quiet.target] > 0


def test_several_sending_ips_and_sender_domains(week):
    _scenario, messages = week
    outbound = [e for m in messages for e in m if e["direction"] == "outbound"]
    assert len({e["local_ip"] for e in outbound}) >= 8
    assert len({e["from_address"].rpartition("@")[2] for e in outbound}) >= 4


def test_the_ingest_validator_accepts_every_event(week):
    _scenario, messages = week
    events = [e for m in messages[:3000] for e in m]
    rows, rejected = parse_events(json.dumps(events).encode(), max_events=len(events), retention_days=30,
                                  now_ms=ANCHOR + 60 * 60_000)
    assert rejected == [] and len(rows) == len(events)


def test_an_unreachable_domain_is_retried_for_two_days_then_bounced(week):
    _scenario, messages = week
    stuck = [m for m in messages if m[0]["direction"] == "outbound" and m[0]["event_type"] == "received"
             and m[0]["to_address"].rpartition("@")[2] in UNREACHABLE]
    assert len(stuck) > 5
    for message in stuck:
        assert {e["event_type"] for e in message[1:-1]} == {"deferred"} and len(message) > 5
        assert message[-1]["event_type"] == "bounced"
        assert message[-1]["timestamp"] - message[0]["timestamp"] >= GIVE_UP_MS


def test_the_outbox_queue_holds_exactly_the_outbound_mail_in_flight(week):
    _scenario, messages = week
    outbox = Outbox()
    for message in messages:
        outbox.track(message, ANCHOR)
    in_flight = {m[0]["queue_id"]: m for m in messages if m[0]["direction"] == "outbound"
                 and m[0]["timestamp"] <= ANCHOR < m[-1]["timestamp"]}
    assert set(outbox.queue) == set(in_flight) and len(in_flight) > 10
    for qid, entry in outbox.queue.items():
        posted = [e for e in in_flight[qid] if e["timestamp"] <= ANCHOR]
        waiting = posted[-1]["event_type"] == "deferred"
        assert entry["deferred"] == (posted[-1]["attempt"] if waiting else 0)
        assert (entry["queued"] > ANCHOR) == waiting  # a deferred entry waits for its next attempt
    # posting what comes next takes each message out of the queue at its final event
    for message in in_flight.values():
        for event in message:
            if event["timestamp"] > ANCHOR:
                outbox.later(event, message)
    assert outbox.due(max(m[-1]["timestamp"] for m in in_flight.values())) and outbox.queue == {}
