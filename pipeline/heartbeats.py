"""ZoneMTA plugin heartbeats (docs/HEARTBEAT.md): the Redis layout, the write ingest makes per heartbeat, and the
per-node summary the Queue page and /metrics show.

Each plugin process reports its cumulative counters and gauges every ≤ 30 s. Ingest keeps only the latest heartbeat
per process, in one Lua call (one round trip): the process's JSON in its node's hash, its receive time in the
node's sorted set, the node's receive time in NODES, and the events lost at the source added to LOST — by the
increase of the process's `dropped` since its previous heartbeat, so what a restarted process had dropped stays in
the node's total after its entry is forgotten. In pipeline/ because ingest (which may not import store) writes
and the readers (pages, metrics) read the same keys, like pipeline/telemetry.py.
"""

from __future__ import annotations

import time

import msgspec
import redis

PREFIX = "mailflow:{hb}"  # one hash tag: the script touches the global and the per-node keys in one cluster slot
NODES = f"{PREFIX}:nodes"  # sorted set: node -> last receive time (epoch s)
LOST = f"{PREFIX}:lost"  # hash: node -> events lost at the source, summed over every process ever seen
PROCESS_TTL = 86_400  # a process not heard of for a day went away for good (restart, host gone): forget it
NODE_TTL = 7 * 86_400  # a node stays listed, flagged silent, for a week after its last heartbeat
SILENT_AFTER_INTERVALS = 3  # contract: silent when no heartbeat for 3 x interval_seconds

_RECORD = """
local old = redis.call('HGET', KEYS[3], ARGV[2])
local now, sent, dropped = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local increase = dropped
if old then
  local prev = cjson.decode(old)
  -- a late, older heartbeat of the same process must not roll its counters back
  if tonumber(prev.sent_at) > sent then return 0 end
  if dropped >= tonumber(prev.dropped) then increase = dropped - tonumber(prev.dropped) end
end
if increase > 0 then redis.call('HINCRBY', KEYS[2], ARGV[1], increase) end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
redis.call('ZADD', KEYS[4], now, ARGV[2])
redis.call('ZADD', KEYS[1], now, ARGV[1])
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], '-inf', '(' .. (now - tonumber(ARGV[7])))) do
  redis.call('HDEL', KEYS[3], gone)
  redis.call('ZREM', KEYS[4], gone)
end
for _, gone in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[8])))) do
  redis.call('ZREM', KEYS[1], gone)
  redis.call('HDEL', KEYS[2], gone)
end
for i = 1, 4 do redis.call('EXPIRE', KEYS[i], ARGV[8]) end
return 1
"""
_encoder = msgspec.json.Encoder()


def processes_key(node: str) -> str:
    """The hash of one node's processes: process_id -> latest heartbeat (JSON, with `received_at` in ms)."""
    return f"{PREFIX}:procs:{node}"


def seen_key(node: str) -> str:
    """The sorted set of one node's processes by last receive time (epoch s), for forgetting old ones."""
    return f"{PREFIX}:seen:{node}"


def record(conn: redis.Redis, beat: dict, now: float | None = None) -> bool:
    """Store one validated heartbeat (a dict of the contract's fields) received at `now` (epoch s, default the
    clock); False when it is older than the one already stored for its process (ignored)."""
    now = now if now is not None else time.time()
    node, process = beat["mta_node"], beat["process_id"]
    body = _encoder.encode({**beat, "received_at": int(now * 1000)})
    keys = [NODES, LOST, processes_key(node), seen_key(node)]
    script = conn.register_script(_RECORD)  # EVALSHA: the script is sent once per Redis server, not per call
    return bool(script(keys=keys, args=[node, process, body, repr(float(now)), beat["sent_at"], beat["dropped"],
                                        PROCESS_TTL, NODE_TTL]))


def read(conn: redis.Redis, now: float | None = None) -> list[dict]:
    """Per node, by name: the summary the health panel and /metrics show (see `summarise`)."""
    now = now if now is not None else time.time()
    pipe = conn.pipeline(transaction=False)
    pipe.zrangebyscore(NODES, now - NODE_TTL, "+inf", withscores=True)
    pipe.hgetall(LOST)
    listed, lost = pipe.execute()
    nodes = sorted((name.decode(), seen) for name, seen in listed)
    for node, _seen in nodes:
        pipe.hgetall(processes_key(node))
    beats = pipe.execute() if nodes else []
    return [summarise(node, [msgspec.json.decode(v) for v in procs.values()], int(lost.get(node.encode(), 0)), now,
                      seen) for (node, seen), procs in zip(nodes, beats, strict=True)]


def _overdue(beat: dict, at: float) -> bool:
    return at - beat["received_at"] / 1000 > SILENT_AFTER_INTERVALS * beat["interval_seconds"]


def summarise(node: str, beats: list[dict], lost: int, now: float, seen: float | None = None) -> dict:
    """One node's figures from its processes' latest heartbeats (pure).

    A process is *reporting* when its last heartbeat is within 3 x its own interval. The gauges, versions and last
    error are those of the processes current at the node's reference time: now while any process reports, else
    the node's last heartbeat (a silent node shows what it said last, not zeros). Processes that restarted are
    known but not current, so their stale gauges are not added twice. `seen` is the node's last receive time
    (epoch s) from NODES: it outlives the processes, so a node silent for days is still flagged.
    """
    beats = [b for b in beats if now - b["received_at"] / 1000 <= PROCESS_TTL]
    times = [b["received_at"] / 1000 for b in beats] + ([seen] if seen is not None else [])
    last = max(times, default=None)
    reporting = [b for b in beats if not _overdue(b, now)]
    current = reporting or [b for b in beats if last is not None and not _overdue(b, last)]
    errors = sorted((b for b in current if b.get("last_error")), key=lambda b: b.get("last_error_at") or 0)
    return {
        "node": node,
        "processes_reporting": len(reporting),
        "processes_known": len(beats),
        "last_heartbeat": last,
        "last_heartbeat_age_seconds": round(now - last, 1) if last is not None else None,
        "silent": last is not None and not reporting,
        "seen": sum(b["seen"] for b in current),
        "sent": sum(b["sent"] for b in current),
        "buffered": sum(b["buffered"] for b in current),
        "spooled": sum(b["spooled"] for b in current),
        "lost": lost,
        "last_error": errors[-1]["last_error"] if errors else None,
        "last_error_at": errors[-1].get("last_error_at") if errors else None,
        "plugin_versions": sorted({b["plugin_version"] for b in current}),
        "zonemta_versions": sorted({b["zonemta_version"] for b in current if b.get("zonemta_version")}),
    }
