"""Inbound flow: throughput with delivered mail split into clean and spam (the writer counts spam per rollup row
with the SPAM_THRESHOLD in force when the event was written)."""

from __future__ import annotations

from sqlalchemy.engine import Connection

from store import queries, traffic
from store.filters import Filters, iso


def inbound_flow(conn: Connection, f: Filters) -> dict:
    """Inbound throughput points with a `spam` series, and delivered reduced to the clean remainder."""
    f = f.replace(direction="inbound")
    data = traffic.throughput(conn, f)
    spam = {iso(b): int(n) for b, n in queries.execute(conn, "spam_by_bucket", f.params(), f.table("email_stats"))}
    for point in data["series"]:
        point["spam"] = spam.get(point["time"], 0)
        point["delivered"] -= point["spam"]
    return data
