"""pipeline.inet: the one text form of an IP address (PostgreSQL's host()), and the addresses inet refuses."""

import pytest

from pipeline import inet


@pytest.mark.parametrize("text, expected", [
    ("192.0.2.10", "192.0.2.10"),
    ("2001:DB8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),  # the first of two equal zero runs is compressed
    ("2001:0db8::0042:8329", "2001:db8::42:8329"),
    ("::1", "::1"),
    ("::", "::"),
    ("::ffff:c000:20a", "::ffff:192.0.2.10"),  # IPv4-mapped: the last 32 bits dotted, as PostgreSQL writes them
    ("::c000:20a", "::192.0.2.10"),  # IPv4-compatible (six zero groups, then non-zero)
    ("::2", "::2"),  # seven zero groups: plain hex again
    ("::ffff:0:c000:20a", "::ffff:0:c000:20a"),  # SIIT, not mapped: plain hex
])
def test_the_text_postgresql_prints(text, expected):
    assert inet.canonical(text) == expected


@pytest.mark.parametrize("text", ["fe80::1%eth0", "192.0.2.1/24", "300.1.1.1", "01.2.3.4", "mta-01", "", "1" * 10_000])
def test_what_inet_refuses_is_refused(text):
    assert inet.canonical(text) is None
