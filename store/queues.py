"""Queue state of the ZoneMTA nodes: the per-node records (last good value, kept), the aggregate cached for 10 s,
the snapshot rows behind the trend sparkline, and the deferral lookup in email_events.

The poller writes one record per node per poll; a node that failed keeps its last good numbers, flagged stale.
When the cached aggregate has expired (no poll for over 10 s), readers rebuild it from the node records, and a
record not refreshed for STALE_AFTER seconds is reported stale too: the scheduler itself may be down.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import redis
from sqlalchemy.engine import Connection

from store import queries

POLL_SECONDS = 10
CACHE_TTL = 10
STALE_AFTER = 3 * POLL_SECONDS
NODE_TTL = 7 * 86400  # a node removed from ZONEMTA_NODES fades away after a week
AGGREGATE_KEY = "mailflow:queue:aggregate"


def node_key(node: str) -> str:
    """The Redis key of one node's record."""
    return f"mailflow:queue:node:{node}"


def load_node(conn: redis.Redis, node: str) -> dict | None:
    """A node's last record, or None if it was never polled."""
    raw = conn.get(node_key(node))
    return json.loads(raw) if raw else None


def save(conn: redis.Redis, records: list[dict], aggregate_: dict) -> None:
    """Store the node records and the aggregate of one poll in one round trip."""
    with conn.pipeline(transaction=False) as pipe:
        for record in records:
            pipe.set(node_key(record["node"]), json.dumps(record), ex=NODE_TTL)
        pipe.set(AGGREGATE_KEY, json.dumps(aggregate_), ex=CACHE_TTL)
        pipe.execute()


def aggregate(records: list[dict], polled_at: datetime) -> dict:
    """Totals, per node, per zone, ages, the oldest message and deferral reasons over node records (pure)."""
    zones: dict[str, dict] = {}
    ages: dict[str, dict] = {}
    reasons: dict[str, int] = {}
    for record in records:
        for zone in record["zones"]:
            total = zones.setdefault(zone["zone"], {"zone": zone["zone"], "active": 0, "deferred": 0})
            total["active"] += zone["active"]
            total["deferred"] += zone["deferred"]
        for bracket in record["ages"]:
            ages.setdefault(bracket["bracket"], {**bracket, "count": 0})["count"] += bracket["count"]
        for reason, count in record["deferred_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    active, deferred = sum(r["active"] for r in records), sum(r["deferred"] for r in records)
    oldest = min((dict(r["oldest"], node=r["node"]) for r in records if r["oldest"]),
                 key=lambda o: o["created"], default=None)
    return {
        "polled_at": polled_at.isoformat(), "poll_seconds": POLL_SECONDS,
        "stale": any(r["stale"] for r in records), "stale_nodes": [r["node"] for r in records if r["stale"]],
        "totals": {"active": active, "deferred": deferred, "total": active + deferred},
        "nodes": [{**r, "total": r["active"] + r["deferred"]} for r in records],
        "zones": [{**z, "total": z["active"] + z["deferred"]} for z in sorted(zones.values(), key=lambda z: z["zone"])],
        "ages": list(ages.values()), "ages_approximate": any(r["ages_approximate"] for r in records),
        "oldest": oldest,
        "deferred_reasons": [{"reason": k, "count": v} for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])],
    }


def current(conn: redis.Redis, nodes: list[str], now: datetime | None = None) -> dict | None:
    """The cached aggregate, else one rebuilt from the node records; None when no node was ever polled."""
    raw = conn.get(AGGREGATE_KEY)
    if raw:
        return json.loads(raw)
    now = now or datetime.now(UTC)
    records = [r for r in (load_node(conn, n) for n in nodes) if r]
    if not records:
        return None
    for record in records:
        polled = datetime.fromisoformat(record["polled_at"])
        if (now - polled).total_seconds() > STALE_AFTER and not record["stale"]:
            record.update(stale=True, error=f"not polled since {record['polled_at']} (is the scheduler running?)")
    return aggregate(records, max(datetime.fromisoformat(r["polled_at"]) for r in records))


def latest_deferrals(conn: Connection, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str], tuple]:
    """(queue id, recipient) -> (bounce_category, reason_class, smtp_response) of its latest deferred event."""
    if not keys:
        return {}
    params = {"queue_ids": [k[0] for k in keys], "recipients": [k[1] for k in keys],
              "created": [datetime.fromisoformat(k[2].replace("Z", "+00:00")) for k in keys]}
    rows = queries.execute(conn, "latest_deferrals", params).all()
    return {(r.queue_id, r.recipient): (r.bounce_category, r.reason_class, r.smtp_response) for r in rows}


def save_snapshots(conn: Connection, ts: datetime, records: list[dict]) -> int:
    """One queue_snapshots row per node x zone of the nodes polled successfully at `ts`; returns rows written."""
    rows = [{"ts": ts, "mta_node": r["node"], "zone": z["zone"], "active": z["active"], "deferred": z["deferred"]}
            for r in records if not r["stale"] for z in r["zones"]]
    if rows:
        queries.execute(conn, "insert_queue_snapshot", rows)
    return len(rows)


def trend(conn: Connection, minutes: int = 60, now: datetime | None = None) -> list[dict]:
    """Queue size per poll over the last `minutes`, summed over nodes and zones."""
    since = (now or datetime.now(UTC)) - timedelta(minutes=minutes)
    rows = queries.execute(conn, "queue_trend", {"since": since}).all()
    return [{"ts": r.ts.isoformat(), "active": r.active, "deferred": r.deferred, "total": r.active + r.deferred,
             "nodes": r.nodes} for r in rows]
