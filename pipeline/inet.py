"""IP addresses in the one text form Mailflow keeps them in: the form PostgreSQL's `host(inet)` prints.

Events carry `local_ip`/`remote_ip` as text. They are stored as `inet`, but the sending IP is also a rollup key
(text), and migration 0012 backfilled those keys with `host(local_ip)`. One address spelled two ways
("2001:DB8::1" and "2001:db8:0::1") must be one key, and the same key whether the writer or SQL made it.
"""

from __future__ import annotations

import functools
import ipaddress

MAX_LENGTH = 45  # the longest address text: 0000:0000:0000:0000:0000:ffff:255.255.255.255


def canonical(text: str) -> str | None:
    """`text` as PostgreSQL's host() writes the address, or None when it is not an address PostgreSQL's inet takes.

    Python accepts an IPv6 zone ("fe80::1%eth0") that inet refuses; letting one through would fail the writer's
    whole batch, so it is refused here, with the event that carries it."""
    return None if len(text) > MAX_LENGTH else _spelled(text)  # longer input never reaches the cache


@functools.lru_cache(maxsize=4096)
def _spelled(text: str) -> str | None:
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return None
    if ip.version == 4:
        return str(ip)
    if ip.scope_id is not None:
        return None
    return _ipv6_text(ip)


def _ipv6_text(ip: ipaddress.IPv6Address) -> str:
    # Python and PostgreSQL compress the same run of zero groups (the first longest one, of two or more) and print
    # lower-case hex without leading zeros. They differ only where PostgreSQL (BIND's inet_ntop) writes the last 32
    # bits as dotted IPv4: after six zero groups followed by a non-zero one, or after five zero groups and ffff.
    packed = ip.packed
    groups = [int.from_bytes(packed[i:i + 2], "big") for i in range(0, 16, 2)]
    tail = str(ipaddress.IPv4Address(packed[12:]))
    if not any(groups[:6]) and groups[6]:
        return "::" + tail
    if not any(groups[:5]) and groups[5] == 0xFFFF:
        return "::ffff:" + tail
    return str(ip)
