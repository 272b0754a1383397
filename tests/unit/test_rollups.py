"""Rollup arithmetic: histogram bins (the 5 % error budget), size brackets, response templates, deltas."""

import math

import pytest

from pipeline import deltas
from pipeline import row as layout
from store import rollups
from store.reply_templates import listing, template


@pytest.mark.parametrize("ms", [1, 7, 999, 1000, 1840, 60_000, 3_600_000, 86_400_000])
def test_bin_middle_is_within_four_percent(ms):
    b = rollups.dt_bin(ms)
    low, high = rollups.DT_RATIO ** (b - 1), rollups.DT_RATIO ** b
    assert low <= ms < high
    assert abs(math.sqrt(low * high) - ms) / ms < 0.04


def test_size_brackets():
    kb, mb = 1024, 1024**2
    assert [rollups.size_bin(s) for s in (0, 10 * kb, 100 * kb, mb, 10 * mb, 25 * mb)] == [0, 1, 2, 3, 4, 5]


def test_templates_group_the_same_reply():
    a = template("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown")
    b = template("550 5.1.1 <alice@example.org>: Recipient address rejected: User unknown")
    assert a == b == "550 5.1.1 <addr>: Recipient address rejected: User unknown"
    assert template("421 4.7.0 from 192.0.2.1 deferred, id 9f8e7d6c5b") == "421 4.7.0 from <ip> deferred, id <id>"


def _row(ts, event_type="delivered", size=2048, dt=1500, domain="gmail.com"):
    values = dict.fromkeys(layout.COLUMNS)
    values.update(event_id="e", ts=ts, event_type=event_type, direction="outbound", mta_node="mta-01",
                  to_domain=domain, provider="gmail", message_size=size, delivery_time_ms=dt, tls=True)
    return tuple(values.values())


def test_deltas_aggregate_per_bucket_and_key():
    rows = [_row(0), _row(1000), _row(400_000, dt=None), _row(2000, "bounced", domain="x.org")]
    stats, dims = rollups.deltas(rows)["5m"]
    first = stats[(0, "outbound", "delivered", "mta-01", "")]
    assert (first.events, first.bytes, first.dt_n, first.tls) == (2, 4096, 2, 2)
    assert stats[(300_000, "outbound", "delivered", "mta-01", "")].dt_n == 0
    assert dims[(0, "domain", "outbound", "bounced", "x.org")].events == 1
    assert (0, "category", "outbound", "delivered", "") not in dims


def test_delta_message_counts_and_recent_seconds():
    msg = deltas.delta_message([_row(10_000), _row(10_500), _row(0, "bounced")], now_ms=20_000)
    assert msg["n"] == 3
    assert ["outbound", "delivered", "mta-01", 2] in msg["counts"]
    assert [10, "outbound", "delivered", 2] in msg["seconds"]


def test_recent_seconds_round_trip():
    import fakeredis

    conn = fakeredis.FakeRedis()
    now_ms = 1_000_000_000
    deltas.publish(conn, [_row(now_ms - 2000), _row(now_ms - 2000, "received"), _row(now_ms - 1000)], now_ms)
    assert deltas.recent_seconds(conn, now=now_ms / 1000) == [[999_998, 1, 1], [999_999, 0, 1]]


def _sent(event_type="delivered", ip="192.0.2.10", sender="news.example", reason=None, response=None):
    row = list(_row(0, event_type))
    row[layout.FROM_DOMAIN], row[layout.LOCAL_IP] = sender, ip
    row[layout.SMTP_RESPONSE], row[layout.REASON_CLASS] = response, reason
    return tuple(row)


def test_sender_dims_pair_ip_and_sender_with_provider_reason_and_listing():
    spamhaus = "554 5.7.1 Client host [192.0.2.10] blocked using zen.spamhaus.org"
    rows = [_sent(), _sent("bounced", reason="reputation", response=spamhaus),
            _sent("bounced", reason="recipient", response="550 5.1.1 <a@b.example>: User unknown")]
    _, dims = rollups.deltas(rows)["1h"]
    assert dims[(0, "sender", "outbound", "delivered", "news.example")].events == 1
    assert dims[(0, "ip_provider", "outbound", "bounced", "192.0.2.10|gmail")].events == 2
    assert dims[(0, "ip_reason", "outbound", "bounced", "192.0.2.10|recipient")].events == 1
    assert dims[(0, "sender_reason", "outbound", "bounced", "news.example|reputation")].events == 1
    listed = {k[1:] for k in dims if k[1].endswith("_listing")}
    assert listed == {(d, "outbound", "bounced", f"{key}|{template(spamhaus)}")
                      for d, key in (("ip_listing", "192.0.2.10"), ("sender_listing", "news.example"))}


def test_inbound_rows_get_no_sender_dims():
    row = list(_sent())
    row[layout.DIRECTION] = "inbound"
    _, dims = rollups.deltas([tuple(row)])["5m"]
    assert {k[1] for k in dims} == {"domain", "provider", "ip"}


@pytest.mark.parametrize("response, reason, expected", [
    ("554 5.7.1 Service unavailable; Client host [192.0.2.10] blocked using zen.spamhaus.org", "other", True),
    ("550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Part of their network is on our block list "
     "(S3150)", None, True),
    ("421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your IP", "throttling", True),
    ("421 4.7.0 [TSS04] Messages from 192.0.2.10 temporarily deferred due to user complaints", "throttling", True),
    ("550 5.7.1 Message rejected by policy", "reputation", True),
    ("550 5.1.1 <bob@example.com>: Recipient address rejected: User unknown", "recipient", False),
    (None, "throttling", False),
])
def test_listing_recognises_reputation_replies(response, reason, expected):
    assert listing(response, reason) is expected
