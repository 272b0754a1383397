"""The "by X" tables: per node, zone, domain, provider, IP, sender domain (outbound) or category, counts per type,
outcome rates, bytes and delivery times; sorted, top N plus one "other" row and a total row.

Only the histograms of the groups shown are summed (the expensive part); "other" gets the total minus those.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from pipeline.vocabulary import EVENT_TYPES
from store import histogram, queries
from store.filters import FilterError, Filters
from store.traffic import rates

STATS_DIMS = ("node", "zone")
DIMS = ("domain", "provider", "ip", "sender", "category")
HIST_DIMS = ("node", "zone", "domain", "provider")
SORTS = ("total", *EVENT_TYPES, "received_bytes", "delivered_bytes", "delivery_rate", "bounce_rate",
         "deferral_rate", "avg_delivery_ms", "p95_delivery_ms", "key")


class Group:
    """Running sums of one group (a key, "other" or the total)."""

    def __init__(self, key: str | None):
        self.key, self.counts = key, dict.fromkeys(EVENT_TYPES, 0)
        self.bytes = {"received": 0, "delivered": 0}
        self.dt_sum = self.dt_n = 0
        self.hist = None

    def add(self, event_type: str, events: int, nbytes: int, dt_sum: int, dt_n: int) -> None:
        self.counts[event_type] += int(events)
        if event_type in self.bytes:
            self.bytes[event_type] += int(nbytes)
        if event_type == "delivered":
            self.dt_sum, self.dt_n = self.dt_sum + int(dt_sum), self.dt_n + int(dt_n)

    def merge(self, other: Group) -> None:
        for t, n in other.counts.items():
            self.counts[t] += n
        for t, n in other.bytes.items():
            self.bytes[t] += n
        self.dt_sum, self.dt_n = self.dt_sum + other.dt_sum, self.dt_n + other.dt_n

    def row(self) -> dict:
        """The JSON shape of the group."""
        return {"key": self.key, "total": sum(self.counts.values()), **self.counts,
                "received_bytes": self.bytes["received"], "delivered_bytes": self.bytes["delivered"],
                **rates(self.counts), "avg_delivery_ms": round(self.dt_sum / self.dt_n, 1) if self.dt_n else None,
                "p95_delivery_ms": None if self.hist is None else histogram.percentile(self.hist, 95),
                "p99_delivery_ms": None if self.hist is None else histogram.percentile(self.hist, 99)}


def groups(rows) -> dict[str, Group]:
    """Fold (key, event_type, events, bytes, dt_sum, dt_n) rows into groups by key."""
    out: dict[str, Group] = {}
    for key, event_type, events, nbytes, dt_sum, dt_n in rows:
        out.setdefault(key, Group(key)).add(event_type, events, nbytes, dt_sum or 0, dt_n or 0)
    return out


def dim_hists(conn: Connection, f: Filters, dim: str, keys: list[str]) -> dict:
    """Summed delivered-time histograms of the listed domain or provider keys."""
    if not keys:
        return {}
    return histogram.sum_by_key(queries.rows_over(conn, "delivered_hist_dim", f.pieces(), "email_dim",
                                                  {"dim": dim, "keys": keys}))


def stats_hists(conn: Connection, f: Filters, by: str | None) -> dict:
    """Summed delivered-time histograms per node or zone, or overall (key '') when by is None."""
    return histogram.sum_by_key(queries.rows_over(conn, "delivered_hist_stats", f.pieces(), "email_stats",
                                                  {"by": by}))


def _sort_key(sort: str):
    # the "no attribute" group has key None: order it last among equals instead of comparing None with str
    if sort == "key":
        return lambda row: (row["key"] is None, row["key"] or "")
    return lambda row: (row[sort] is None, -(row[sort] or 0), row["key"] is None, row["key"] or "")


def _rows(conn: Connection, f: Filters, by: str) -> list:
    if by in STATS_DIMS:
        if f.to_domain is not None or f.provider is not None:
            raise FilterError(f"by={by} reads the node/zone rollups, which cannot filter by domain or provider")
        return queries.rows_over(conn, "breakdown_stats", f.pieces(), "email_stats", {"by": by})
    if f.mta_node is not None or f.zone is not None:
        raise FilterError(f"by={by} reads the per-{by} rollups, which have no node or zone key")
    key = {"domain": f.to_domain, "provider": f.provider}.get(by)
    if (f.to_domain is not None or f.provider is not None) and key is None:
        raise FilterError(f"by={by} can filter only by its own key ({by}), not by domain or provider")
    return queries.rows_over(conn, "breakdown_dim", f.pieces(), "email_dim", {"dim": by, "key": key})


def breakdown(conn: Connection, f: Filters, by: str, sort: str = "total", limit: int = 10,
              totals: bool = True) -> dict:
    """Per-group figures for by in STATS_DIMS + DIMS, top `limit` by `sort`, the rest as "other", and a total
    (`totals=False`: the top groups only, which saves the overall histogram)."""
    found = groups(_rows(conn, f, by))
    for g in found.values():
        g.key = g.key if g.key != "" else None  # '' marks events without this attribute (no zone, no IP ...)
    ranked = sorted((g.row() for g in found.values()), key=_sort_key("total" if sort == "p95_delivery_ms" else sort))
    keys = [r["key"] if r["key"] is not None else "" for r in ranked]
    shown, rest = (keys, []) if sort == "p95_delivery_ms" else (keys[:limit], keys[limit:])
    total = Group(None)
    for g in found.values():
        total.merge(g)
    if by in HIST_DIMS:
        hists = stats_hists(conn, f, by) if by in STATS_DIMS else dim_hists(conn, f, by, shown)
        for key in shown:
            found[key].hist = histogram.as_array(hists.get(key))
        # every event has exactly one key per dimension, so the overall histogram is the sum over all keys
        complete = by in STATS_DIMS or len(shown) == len(found)
        if complete or totals:
            total.hist = histogram.total((hists if complete else stats_hists(conn, f, None)).values())
    top = sorted((found[k].row() for k in shown), key=_sort_key(sort))
    if sort == "p95_delivery_ms":
        top, rest = top[:limit], [r["key"] if r["key"] is not None else "" for r in top[limit:]]
    if not totals:
        return {"range": f.describe(), "by": by, "sort": sort, "groups": top}
    other = _other(found, rest, total, [r["key"] if r["key"] is not None else "" for r in top], by)
    return {"range": f.describe(), "by": by, "sort": sort, "groups": top,
            "other": other.row() if other else None, "total": total.row()}


def _other(found: dict, rest: list[str], total: Group, top_keys: list[str], by: str) -> Group | None:
    if not rest:
        return None
    other = Group(None)
    for key in rest:
        other.merge(found[key])
    if by in HIST_DIMS:
        other.hist = total.hist - histogram.total(found[k].hist for k in top_keys)
    return other
