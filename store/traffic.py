"""Throughput over time and the flow-page counters, from the rollups only (email_stats_*, or email_dim_* when the
filters name one domain or provider).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy.engine import Connection

from pipeline.vocabulary import DIRECTIONS, EVENT_TYPES
from store import queries
from store.filters import FilterError, Filters, iso


def _counts(conn: Connection, f: Filters, name: str, by_node: bool = False) -> list:
    """Run a counts query against the relation the filters need."""
    if f.dimension():
        if by_node:
            raise FilterError("by=node cannot be combined with domain or provider (no node key in those rollups)")
        return queries.execute(conn, f"{name}_dim", f.params(), f.table("email_dim")).all()
    return queries.execute(conn, f"{name}_node" if by_node else name, f.params(), f.table("email_stats")).all()


def _points(cells: dict, f: Filters) -> list[dict]:
    return [{"time": iso(bucket), **{t: cells.get((bucket, t), 0) for t in EVENT_TYPES}} for bucket in f.buckets()]


def throughput(conn: Connection, f: Filters, by_node: bool = False) -> dict:
    """Events per bucket and type, zero-filled over the whole range; one series per node with by_node."""
    rows = _counts(conn, f, "counts_by_bucket", by_node)
    if not by_node:
        return {"range": f.describe(), "series": _points({(b, t): int(n) for b, t, n in rows}, f)}
    per_node: dict[str, dict] = defaultdict(dict)
    for bucket, node, event_type, n in rows:
        per_node[node][(bucket, event_type)] = int(n)
    return {"range": f.describe(),
            "series": [{"node": node, "points": _points(cells, f)} for node, cells in sorted(per_node.items())]}


def rates(counts: dict) -> dict:
    """Delivery, bounce and deferral rates per received (queued or accepted) event; None without any."""
    received = counts.get("received", 0)

    def rate(n: int) -> float | None:
        return round(n / received, 4) if received else None

    return {"delivery_rate": rate(counts.get("delivered", 0)), "bounce_rate": rate(counts.get("bounced", 0)),
            "deferral_rate": rate(counts.get("deferred", 0))}


def summary(conn: Connection, f: Filters) -> dict:
    """Counts, bytes, hourly rates and outcome rates per direction and event type over the range."""
    dim = f.dimension()
    rows = queries.rows_over(conn, "totals_by_type_dim" if dim else "totals_by_type", f.pieces(),
                             "email_dim" if dim else "email_stats")
    directions = (f.direction,) if f.direction else DIRECTIONS
    counts = {d: dict.fromkeys(EVENT_TYPES, 0) for d in directions}
    size = dict.fromkeys(directions, 0)
    for direction, event_type, n, nbytes in rows:
        counts[direction][event_type] += int(n)
        if event_type == "received":
            size[direction] += int(nbytes)
    return {"range": f.describe(),
            "directions": {d: {"counts": counts[d],
                               "per_hour": {t: round(n / f.hours, 2) for t, n in counts[d].items()},
                               "received_bytes": size[d], **rates(counts[d])} for d in directions}}
