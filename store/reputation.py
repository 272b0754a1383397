"""Sender reputation from the outbound rollup dims: per sending IP or sender domain the volume and outcome rates,
failures by reason class, the reputation and blocklist replies drawn (response templates), the trend of the
busiest keys; and the IP x mailbox-provider delivery-rate matrix.

Pair dims ("ip|reason", "sender|response" ...) are split on the first "|": neither an IP nor a domain holds one.
Everything is read in one scan of email_dim_* (plus one for the trend), so the figures are exact.
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from store import queries
from store.breakdown import groups
from store.filters import FilterError, Filters, iso
from store.traffic import rates

BY = ("ip", "sender")
FAILURES = ("deferred", "bounced", "rejected", "greylisted")
TREND_TYPES = ("delivered", "deferred", "bounced")


def _outbound(f: Filters) -> Filters:
    if f.direction == "inbound":
        raise FilterError("sender reputation covers outbound mail only (direction=outbound)")
    if any(v is not None for v in (f.mta_node, f.zone, f.to_domain, f.provider)):
        raise FilterError("sender reputation reads the per-IP and per-sender rollups: only the range applies")
    return f.replace(direction="outbound")


def _pairs(rows) -> dict[str, dict[str, dict[str, int]]]:
    """{first part: {second part: {event type: events}}} of a pair dim's (key, event_type, events, ...) rows."""
    out: dict = defaultdict(lambda: defaultdict(lambda: defaultdict(int)))
    for key, event_type, events, *_ in rows:
        first, _, second = key.partition("|")
        out[first][second][event_type] += int(events)
    return out


def _failures(counts: dict[str, int]) -> int:
    return sum(counts.get(t, 0) for t in FAILURES)


def _group(g, reasons: dict, listings: dict) -> dict:
    row = g.row()
    row["key"] = g.key or None
    row["failures"] = _failures(g.counts)
    row["reasons"] = sorted(({"reason": r, "failures": _failures(c)} for r, c in reasons.items()),
                            key=lambda r: (-r["failures"], r["reason"]))
    row["listings"] = sorted(({"response": t, "failures": _failures(c), **{k: c.get(k, 0) for k in FAILURES}}
                              for t, c in listings.items()), key=lambda r: (-r["failures"], r["response"]))
    return row


def reputation(conn: Connection, f: Filters, by: str, limit: int = 20) -> dict:
    """The per-IP (by="ip") or per-sender-domain (by="sender") table, busiest first, with reasons, listings and the
    trend of the shown keys."""
    if by not in BY:
        raise FilterError(f"by must be one of {', '.join(BY)}")
    f = _outbound(f)
    dims = [by, f"{by}_reason", f"{by}_listing"]
    rows = queries.rows_over(conn, "breakdown_dims", f.pieces(), "email_dim", {"dims": dims})
    found = groups(r[1:] for r in rows if r[0] == by)
    reasons, listings = (_pairs(r[1:] for r in rows if r[0] == d) for d in dims[1:])
    ranked = sorted(found.values(), key=lambda g: (-sum(g.counts.values()), g.key))[:limit]
    shown = [_group(g, reasons.get(g.key, {}), listings.get(g.key, {})) for g in ranked]
    return {"range": f.describe(), "by": by, "groups": shown, "keys": len(found),
            "trend": trend(conn, f, by, [g.key for g in ranked])}


def trend(conn: Connection, f: Filters, by: str, keys: list[str]) -> list[dict]:
    """Delivered, deferred and bounced per bucket for each listed key, zero-filled over the range."""
    if not keys:
        return []
    cells = defaultdict(int)
    for bucket, key, event_type, events in queries.execute(
            conn, "reputation_trend", f.params() | {"dim": by, "keys": keys}, f.table("email_dim")).all():
        cells[(bucket, key, event_type)] += int(events)
    return [{"time": iso(b), "key": k or None, **{t: cells[(b, k, t)] for t in TREND_TYPES}}
            for k in keys for b in f.buckets()]


def provider_matrix(conn: Connection, f: Filters) -> dict:
    """Delivery rate (delivered per received) per sending IP x mailbox provider, with the counts behind each cell."""
    f = _outbound(f)
    rows = queries.rows_over(conn, "breakdown_dims", f.pieces(), "email_dim", {"dims": ["ip_provider"]})
    pairs = _pairs(r[1:] for r in rows)
    cells = [{"ip": ip or None, "provider": provider, "received": c.get("received", 0),
              "delivered": c.get("delivered", 0), "bounced": c.get("bounced", 0), "deferred": c.get("deferred", 0),
              "delivery_rate": rates(c)["delivery_rate"]}
             for ip, by_provider in pairs.items() for provider, c in by_provider.items()]
    return {"range": f.describe(), "ips": _busiest(cells, "ip"), "providers": _busiest(cells, "provider"),
            "cells": cells}


def _busiest(cells: list[dict], kind: str) -> list:
    """The distinct values of one matrix axis, the most received events first."""
    volume: dict = defaultdict(int)
    for c in cells:
        volume[c[kind]] += c["received"]
    return sorted(volume, key=lambda k: (-volume[k], k or ""))
