"""Delivery performance of delivered events: average and P50/P95/P99 over the range, time brackets, a per-bucket
trend and the busiest destination domains and mailbox providers with their own avg/P95/P99; plus message sizes.
Rollups only.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from store import breakdown, histogram, queries
from store.filters import FilterError, Filters, iso
from store.rollups import SIZE_EDGES


def _avg(total: int, n: int) -> float | None:
    return round(total / n, 1) if n else None


def _by_key(conn: Connection, f: Filters, dim: str, limit: int) -> list[dict] | None:
    """Top destination domains or providers by delivered count with avg, P95 and P99 (exact sums of the per-key
    rollups' histograms); None when a filter those rollups have no key for applies (node, zone, the other key)."""
    other = f.provider if dim == "domain" else f.to_domain
    if f.mta_node is not None or f.zone is not None or other is not None:
        return None
    table = breakdown.breakdown(conn, f, dim, sort="delivered", limit=limit, totals=False)
    return [{dim: g["key"], "delivered": g["delivered"], "avg_ms": g["avg_delivery_ms"],
             "p95_ms": g["p95_delivery_ms"], "p99_ms": g["p99_delivery_ms"]} for g in table["groups"] if g["delivered"]]


def performance(conn: Connection, f: Filters, limit: int = 10) -> dict:
    """Delivery-time figures; direction defaults to outbound (inbound delivery is a local mailbox store)."""
    f = f.replace(direction=f.direction or "outbound")
    dim = f.dimension()
    name, table = ("delivery_by_bucket_dim", "email_dim") if dim else ("delivery_by_bucket", "email_stats")
    rows = queries.execute(conn, name, f.params(), f.table(table)).all()
    hists = histogram.sum_by_key((r.bucket, r.dt_hist) for r in rows)
    sums: dict = {}
    for r in rows:
        n, total = sums.get(r.bucket, (0, 0))
        sums[r.bucket] = (n + int(r.dt_n), total + int(r.dt_sum))
    overall = histogram.total(hists.values())
    n, total = sum(v[0] for v in sums.values()), sum(v[1] for v in sums.values())
    trend = []
    for bucket in f.buckets():
        count, time_sum = sums.get(bucket, (0, 0))
        trend.append({"time": iso(bucket), "delivered": count, "avg_ms": _avg(time_sum, count),
                      "p95_ms": histogram.percentile(hists.get(bucket), 95)})
    by_domain, by_provider = _by_key(conn, f, "domain", limit), _by_key(conn, f, "provider", limit)
    return {"range": f.describe(), "delivered": n, "avg_ms": _avg(total, n), **histogram.percentiles(overall),
            "histogram": histogram.brackets(overall), "trend": trend, "by_domain": by_domain,
            "by_domain_note": None if by_domain is not None else
            "per-domain figures come from rollups without node, zone or provider keys; drop those filters",
            "by_provider": by_provider, "by_provider_note": None if by_provider is not None else
            "per-provider figures come from rollups without node, zone or domain keys; drop those filters"}


def sizes(conn: Connection, f: Filters) -> dict:
    """Size brackets and the average-size trend of received events (one per accepted message recipient)."""
    if f.to_domain is not None or f.provider is not None:
        raise FilterError("sizes come from the node/zone rollups, which have no domain or provider key")
    rows = {r.bucket: r for r in queries.execute(conn, "sizes_by_bucket", f.params(), f.table("email_stats"))}
    hist = histogram.total((r.size_hist for r in rows.values()), len(SIZE_EDGES) + 1)
    sized, nbytes = sum(int(r.sized) for r in rows.values()), sum(int(r.bytes) for r in rows.values())
    trend = []
    for bucket in f.buckets():
        r = rows.get(bucket)
        trend.append({"time": iso(bucket), "messages": int(r.sized) if r else 0,
                      "avg_bytes": _avg(int(r.bytes), int(r.sized)) if r else None})
    return {"range": f.describe(), "messages": sized, "bytes": nbytes, "avg_bytes": _avg(nbytes, sized),
            "histogram": histogram.size_brackets(hist), "trend": trend}
