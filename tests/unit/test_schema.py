"""parse_events: the contract's validation, derivations and per-event error reports (pure, no services)."""

import json
from datetime import UTC, datetime

import pytest

from ingest.schema import BodyError, parse_events
from pipeline import row as layout

NOW = 1_796_000_000_000
GOOD = {"event_id": "18c2f1a9e0b000abcd.001.ACCEPTED.1", "event_type": "delivered", "direction": "outbound",
        "timestamp": "2026-11-28T09:14:03.512Z", "mta_node": "mta-02.example.net", "queue_id": "18c2f1a9e0b000abcd",
        "seq": "001", "message_id": "<a1b2@example.net>", "zone": "default", "from_address": "alice@example.net",
        "to_address": "Bob@GMAIL.com", "local_ip": "192.0.2.10", "remote_ip": "2001:db8::1",
        "mx_host": "gmail-smtp-in.l.google.com", "smtp_response": "250 2.0.0 OK 1732785243 q1si123 - gsmtp",
        "message_size": 48213, "delivery_time_ms": 1840, "attempt": 1, "tls": True, "subject": "never stored"}


def parse(events, **kw):
    kw.setdefault("max_events", 1000)
    return parse_events(json.dumps(events).encode(), retention_days=30, now_ms=NOW, **kw)


def row_dict(row):
    return layout.as_dict(row)


def test_good_event_is_derived():
    rows, rejected = parse([GOOD])
    assert rejected == []
    r = row_dict(rows[0])
    assert r["to_domain"] == "gmail.com" and r["from_domain"] == "example.net"
    assert r["smtp_code"] == 250 and r["enhanced_status"] == "2.0.0" and r["provider"] == "gmail"
    assert r["reason_class"] is None
    assert r["ts"] == int(datetime(2026, 11, 28, 9, 14, 3, 512000, tzinfo=UTC).timestamp() * 1000)
    assert "never stored" not in json.dumps(rows)


def test_single_object_body_and_epoch_ms():
    rows, _ = parse(dict(GOOD, timestamp=NOW - 1000))
    assert row_dict(rows[0])["ts"] == NOW - 1000


def test_bounce_derivations_and_truncation():
    event = dict(GOOD, event_type="bounced", bounce_category="Blacklist", smtp_response="554 5.7.1 " + "x" * 900,
                 to_address="user@bücher.example", mx_host="mx.unknown.example", message_id="<" + "m" * 600 + ">")
    r = row_dict(parse([event])[0][0])
    assert r["bounce_category"] == "blacklist" and r["reason_class"] == "reputation"
    assert len(r["smtp_response"]) == 500 and r["smtp_code"] == 554 and r["enhanced_status"] == "5.7.1"
    assert r["to_domain"] == "xn--bcher-kva.example" and r["provider"] == "other" and len(r["message_id"]) == 255


def test_missing_category_is_reason_other():
    r = row_dict(parse([dict(GOOD, event_type="deferred")])[0][0])
    assert r["reason_class"] == "other"


def test_bad_events_are_reported_with_index_and_every_reason():
    bad = dict(GOOD, event_type="opened", smtp_code=700, tls="yes")
    del bad["mta_node"]
    rows, rejected = parse([GOOD, bad, 42])
    assert len(rows) == 1
    assert rejected[0]["index"] == 1
    assert {e["field"] for e in rejected[0]["errors"]} == {"event_type", "smtp_code", "tls", "mta_node"}
    assert rejected[1] == {"index": 2, "errors": [{"field": "(event)", "reason": "each event must be a JSON object"}]}


@pytest.mark.parametrize("change, field", [
    ({"timestamp": NOW + 10 * 60_000}, "timestamp"),
    ({"timestamp": NOW - 31 * 86_400_000}, "timestamp"),
    ({"timestamp": "2026-11-28T09:14:03"}, "timestamp"),
    ({"local_ip": "300.1.1.1"}, "local_ip"),
    ({"remote_ip": "fe80::1%eth0"}, "remote_ip"),  # Python takes a zone, PostgreSQL's inet does not
    ({"event_id": ""}, "event_id"),
    ({"event_id": "x" * 129}, "event_id"),
    ({"message_size": -1}, "message_size"),
    ({"attempt": 0}, "attempt"),
    ({"direction": "sideways"}, "direction"),
])
def test_field_rules(change, field):
    _, rejected = parse([dict(GOOD, **change)])
    assert [e["field"] for e in rejected[0]["errors"]] == [field]


def test_huge_numbers_and_infinity_reject_only_that_event():
    body = b'[' + json.dumps(GOOD).encode() + b', {"spam_score": 1e400, "event_id": "a", "event_type": "received",' \
           b' "direction": "inbound", "timestamp": 1796000000000, "mta_node": "n"}]'
    rows, rejected = parse_events(body, max_events=10, retention_days=30, now_ms=NOW)
    assert len(rows) == 1 and rejected[0]["errors"][0]["field"] == "spam_score"


@pytest.mark.parametrize("body", [b"", b"{", b"NaN", b'"text"', b"[]", b"[1]" * 1])
def test_unusable_bodies(body):
    if body == b"[1]":
        rows, rejected = parse_events(body, max_events=10, retention_days=30, now_ms=NOW)
        assert rows == [] and rejected[0]["index"] == 0
        return
    with pytest.raises(BodyError):
        parse_events(body, max_events=10, retention_days=30, now_ms=NOW)


def test_too_many_events():
    with pytest.raises(BodyError, match="too many"):
        parse([GOOD] * 3, max_events=2)


def test_deeply_nested_body_is_a_clear_error():
    with pytest.raises(BodyError):
        parse_events(b"[" * 100_000 + b"]" * 100_000, max_events=10, retention_days=30, now_ms=NOW)


LINK = '<a href="https://evil.example/x">click</a>'


@pytest.mark.parametrize("field, value, reported", [
    ("mta_node", LINK, "mta_node"), ("mta_node", "mta 01", "mta_node"), ("zone", "<b>bold</b>", "zone"),
    ("bounce_category", "x<br>y", "bounce_category"), ("mx_host", LINK, "mx_host"),
    ("to_domain", "<a>.example", "to_domain"), ("from_domain", "evil.example/x", "from_domain"),
    ("to_address", f"bob@{LINK}", "to_address"), ("from_address", "a@<b>x</b>", "from_address"),
    ("to_address", "bob@-bad-.example", "to_address"), ("to_domain", "a" * 64 + ".example", "to_domain"),
])
def test_markup_and_bad_identifiers_are_rejected_per_event(field, value, reported):
    rows, rejected = parse([GOOD, dict(GOOD, **{field: value}), GOOD])
    assert len(rows) == 2  # the good events of the batch still go through
    assert rejected[0]["index"] == 1 and [e["field"] for e in rejected[0]["errors"]] == [reported]
    assert rejected[0]["errors"][0]["reason"]


@pytest.mark.parametrize("field, value", [
    ("mta_node", "mta-02.example.net"), ("mta_node", "MTA_01"), ("zone", "bulk-eu.2"), ("bounce_category", "dns"),
    ("mx_host", "[192.0.2.1]"), ("mx_host", "[IPv6:2001:db8::1]"), ("mx_host", "mx_1.example."),
    ("to_address", "bob@bücher.example"), ("to_address", "bob@[192.0.2.1]"), ("to_address", "no-at-sign"),
    ("from_address", ""), ("to_domain", "XN--BCHER-KVA.example"), ("zone", ""),
])
def test_valid_identifiers_pass(field, value):
    rows, rejected = parse([dict(GOOD, **{field: value})])
    assert rejected == [] and len(rows) == 1


def test_an_invalid_address_domain_does_not_matter_when_the_domain_is_given():
    rows, rejected = parse([dict(GOOD, to_address="bob@<b>", to_domain="gmail.com")])
    assert rejected == [] and row_dict(rows[0])["to_domain"] == "gmail.com"


def test_addresses_are_stored_in_one_spelling():
    rows, _ = parse([dict(GOOD, local_ip="2001:DB8:0:0:0:0:0:A", remote_ip="::FFFF:C000:020A")])
    assert (row_dict(rows[0])["local_ip"], row_dict(rows[0])["remote_ip"]) == ("2001:db8::a", "::ffff:192.0.2.10")
