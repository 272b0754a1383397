"""The Redis event buffer between ingest and the writers: names, the row layout, and the buffer protocol.

Ingest RPUSHes each request's validated rows, per priority class, as one list element "<count>:<json rows>" (one
round trip, durable in Redis before the 202), and enqueues one drain job per class only when none is pending (a
flag set with SET NX). A writer claims up to N events at once by moving elements atomically to its own processing
list under a lease (one claim may span classes: all of the high class first, then the drain's own); it acks after
the commit. A writer that dies leaves its lease to expire, and `recover` puts the
claimed elements back at the head of the buffer, where they are written again (idempotent by event_id).
"""

from __future__ import annotations

import time
import uuid

import msgspec
import redis

from pipeline import telemetry
from pipeline.row import EVENT_TYPE
from pipeline.vocabulary import CLASS_OF_TYPE, QUEUES

_PREFIX = telemetry.PREFIX  # one hash tag: every key of the protocol lives in one cluster slot
PROCS = f"{_PREFIX}:procs"
_encoder = msgspec.json.Encoder()

_CLAIM = """
-- KEYS: PROCS, PROCS:src, then per class in claim order (buffer, fresh processing list).
-- ARGV: event limit, lease deadline. Takes whole elements, class by class, until the limit is reached.
local total, limit, taken = 0, tonumber(ARGV[1]), {}
for i = 3, #KEYS, 2 do
  local n = 0
  while total < limit do
    local item = redis.call('LMOVE', KEYS[i], KEYS[i + 1], 'LEFT', 'RIGHT')
    if not item then break end
    local count = tonumber(string.match(item, '^(%d+):'))
    total, n = total + count, n + count
  end
  if n > 0 then
    redis.call('ZADD', KEYS[1], ARGV[2], KEYS[i + 1])
    redis.call('HSET', KEYS[2], KEYS[i + 1], KEYS[i])
    table.insert(taken, {KEYS[i + 1], n, redis.call('LRANGE', KEYS[i + 1], 0, -1)})
  end
end
return taken
"""
_RECOVER = """
local n = 0
for _, proc in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])) do
  local buf = redis.call('HGET', KEYS[2], proc)
  while buf do
    local item = redis.call('LMOVE', proc, buf, 'RIGHT', 'LEFT')
    if not item then break end
    n = n + 1
  end
  redis.call('ZREM', KEYS[1], proc)
  redis.call('HDEL', KEYS[2], proc)
  -- the drain that held this lease is presumed dead: let the next push or kick start a new one
  if buf then redis.call('DEL', buf .. ':draining') end
end
return n
"""
_ACK = """
-- only the holder of a live claim un-counts its rows: after recover() moved them back, a late ack finds no list
if redis.call('DEL', KEYS[1]) == 1 then redis.call('HINCRBY', KEYS[4], ARGV[1], -tonumber(ARGV[2])) end
redis.call('ZREM', KEYS[2], KEYS[1])
redis.call('HDEL', KEYS[3], KEYS[1])
"""
_RELEASE = """
while redis.call('LMOVE', KEYS[1], KEYS[2], 'RIGHT', 'LEFT') do end
redis.call('ZREM', KEYS[3], KEYS[1])
redis.call('HDEL', KEYS[4], KEYS[1])
"""
_SETTLE = """
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('DEL', KEYS[2]) return 0 end
redis.call('SET', KEYS[2], '1', 'EX', ARGV[1])
return 1
"""
FLAG_TTL = 15  # a drain refreshes it per batch; a dead drain's flag lapses quickly


def buffer_key(cls: str) -> str:
    """The list holding rows of one priority class."""
    return f"{_PREFIX}:{cls}"


def flag_key(cls: str) -> str:
    """Set while a drain job for the class is queued or running."""
    return f"{_PREFIX}:{cls}:draining"


def split(rows: list[tuple]) -> dict[str, list[tuple]]:
    """Rows grouped by priority class of their event type."""
    out: dict[str, list[tuple]] = {}
    for row in rows:
        out.setdefault(CLASS_OF_TYPE[row[EVENT_TYPE]], []).append(row)
    return out


def element(rows: list[tuple]) -> bytes:
    """One buffer list element: "<count>:<json rows>" (the count lets a claim stop near its size without decoding)."""
    return b"%d:" % len(rows) + _encoder.encode(rows)


class Claim:
    """A batch of rows claimed under a lease, from one or more class buffers (one processing list per class)."""

    def __init__(self, conn: redis.Redis, parts: list[tuple[str, str, int]], items: list[bytes]):
        self.conn, self.parts = conn, parts  # parts: (class, processing list, events)
        self.rows = [row for item in items for row in msgspec.json.decode(item.split(b":", 1)[1])]

    @property
    def classes(self) -> str:
        """The classes in this claim, for log lines ("high+low")."""
        return "+".join(cls for cls, _proc, _n in self.parts)

    def ack(self) -> None:
        """Forget the claimed rows: they are committed (or handed over to a retrying job)."""
        pipe = self.conn.pipeline(transaction=False)
        for cls, proc, n in self.parts:
            pipe.eval(_ACK, 4, proc, PROCS, PROCS + ":src", telemetry.BUFFERED, cls, n)
        pipe.execute()

    def release(self) -> None:
        """Give the claimed rows back, in order, to the head of their buffers (nothing could be written)."""
        pipe = self.conn.pipeline(transaction=False)
        for cls, proc, _n in self.parts:
            pipe.eval(_RELEASE, 4, proc, buffer_key(cls), PROCS, PROCS + ":src")
        pipe.execute()


def claim(conn: redis.Redis, classes: list[str], max_events: int, lease_seconds: float) -> Claim | None:
    """Move up to about max_events rows into fresh processing lists, taking the classes in the order given (whole
    buffers of the first before the next); None when all of them are empty."""
    token = uuid.uuid4().hex
    keys = [PROCS, PROCS + ":src"]
    for cls in classes:
        keys += [buffer_key(cls), f"{_PREFIX}:proc:{token}:{cls}"]
    taken = conn.eval(_CLAIM, len(keys), *keys, max_events, time.time() + lease_seconds)
    if not taken:
        return None
    parts, items = [], []
    for proc, n, elements in taken:
        proc = proc.decode()
        parts.append((proc.rsplit(":", 1)[1], proc, int(n)))
        items += elements
    return Claim(conn, parts, items)


def refresh_flag(conn: redis.Redis, cls: str) -> None:
    """Keep the drain flag alive while a drain is making progress."""
    conn.expire(flag_key(cls), FLAG_TTL)


def recover(conn: redis.Redis) -> int:
    """Return the elements of expired leases to the head of their buffers; the number of elements moved."""
    return conn.eval(_RECOVER, 2, PROCS, PROCS + ":src", time.time())


def settle(conn: redis.Redis, cls: str) -> bool:
    """Atomically: clear the drain flag if the class buffer is empty (False), else keep draining (True)."""
    return bool(conn.eval(_SETTLE, 2, buffer_key(cls), flag_key(cls), FLAG_TTL))


def backlog(conn: redis.Redis) -> dict[str, int]:
    """Buffered list elements per class (each element holds one request's rows)."""
    pipe = conn.pipeline(transaction=False)
    for cls in QUEUES:
        pipe.llen(buffer_key(cls))
    return dict(zip(QUEUES, pipe.execute(), strict=True))
