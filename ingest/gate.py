"""The one Redis round trip of an ingest request: the rate limits (per source IP and per ingest key), the buffer
push and the pipeline counters run as a single Lua script.

Measured on the 2-core machine, the old path (flask-limiter's three EVALSHA calls, the buffer pipeline) spent most
of a small request waiting on Redis; one script keeps the request at one round trip whatever it carries. The
limits are sliding-window counters (the previous fixed window weighted by how much of it still overlaps, plus the
current one): two integer keys per limit, O(1), shared by every web process. A request is counted only when it is
let through; a refused one is answered 429 with Retry-After and pushes nothing. `limits` parses the rate strings
(the same syntax as LOGIN_RATE_LIMIT), this module only counts.
"""

from __future__ import annotations

import hashlib
import math
import threading
import time
from collections import Counter
from dataclasses import dataclass

import redis
from limits import parse_many
from redis.exceptions import NoScriptError

from pipeline import buffer, telemetry

_SCRIPT = """
-- KEYS: per limit (current window, previous window); then BUFFERED, COUNTERS, the rejections' minute hash;
--       then per class (buffer list, drain flag).
-- ARGV: limit count L; per limit (amount, previous-window weight, ttl); flag ttl; class count C;
--       per class (name, events, element); reason count R; per reason (name, events); rejections ttl.
local nl = tonumber(ARGV[1])
for i = 0, nl - 1 do
  local amount, weight = tonumber(ARGV[2 + 3 * i]), tonumber(ARGV[3 + 3 * i])
  local cur = tonumber(redis.call('GET', KEYS[1 + 2 * i]) or '0')
  local prev = tonumber(redis.call('GET', KEYS[2 + 2 * i]) or '0')
  if prev * weight + cur + 1 > amount then return {0, i, cur, prev} end
end
for i = 0, nl - 1 do
  redis.call('INCR', KEYS[1 + 2 * i])
  redis.call('EXPIRE', KEYS[1 + 2 * i], ARGV[4 + 3 * i])
end
local a, k = 2 + 3 * nl, 1 + 2 * nl
local flag_ttl, nc = ARGV[a], tonumber(ARGV[a + 1])
local flagged, total = {1}, 0
for i = 0, nc - 1 do
  local cls, n = ARGV[a + 2 + 3 * i], tonumber(ARGV[a + 3 + 3 * i])
  redis.call('RPUSH', KEYS[k + 3 + 2 * i], ARGV[a + 4 + 3 * i])
  if redis.call('SET', KEYS[k + 4 + 2 * i], '1', 'NX', 'EX', flag_ttl) then table.insert(flagged, cls) end
  redis.call('HINCRBY', KEYS[k], cls, n)
  total = total + n
end
if total > 0 then redis.call('HINCRBY', KEYS[k + 1], 'accepted', total) end
local r = a + 2 + 3 * nc
local nr = tonumber(ARGV[r])
for j = 0, nr - 1 do
  local reason, n = ARGV[r + 1 + 2 * j], ARGV[r + 2 + 2 * j]
  redis.call('HINCRBY', KEYS[k + 1], 'rejected:' .. reason, n)
  redis.call('HINCRBY', KEYS[k + 2], reason, n)
end
if nr > 0 then redis.call('EXPIRE', KEYS[k + 2], ARGV[r + 1 + 2 * nr]) end
return flagged
"""


@dataclass(frozen=True)
class Limit:
    """One rate: `amount` requests per `window` seconds, counted under `scope` (e.g. 'ip:192.0.2.1')."""

    scope: str
    amount: int
    window: int

    def keys_and_args(self, now: float) -> tuple[list[str], list]:
        """The current and previous window keys, and (amount, previous-window weight, ttl) for the script."""
        index, elapsed = divmod(now, self.window)
        base = f"{telemetry.PREFIX}:rl:{self.scope}:{self.window}"
        keys = [f"{base}:{int(index)}", f"{base}:{int(index) - 1}"]
        return keys, [self.amount, f"{1 - elapsed / self.window:.6f}", 2 * self.window + 1]

    def retry_after(self, now: float, current: int, previous: int) -> int:
        """Seconds until one more request fits under this limit."""
        elapsed = now % self.window
        if current + 1 > self.amount or previous == 0:
            return max(1, math.ceil(self.window - elapsed))
        needed = self.window * (1 - (self.amount - current - 1) / previous) - elapsed
        return max(1, math.ceil(needed))


def limits_for(rate: str, scope: str) -> list[Limit]:
    """The limits of a rate string such as '50000/minute' or '50/second;2000/minute' under one scope."""
    return [Limit(scope, item.amount, item.get_expiry()) for item in parse_many(rate)]


@dataclass(frozen=True)
class Refused:
    """A rate limit refused the request: which one, and when to come back."""

    limit: Limit
    retry_after: int


class Gate:
    """Runs the script; one instance per process.

    Each web thread keeps one connection of its own from the client's pool and talks to it directly: redis-py's
    per-command machinery (pool checkout, retry wrapper) cost ~40 us of a ~700 us request, measured under load.
    A connection found dead when sending is re-opened once (nothing ran yet); a failure after the script was sent
    is the caller's RedisError (503: the plugin resends, and event ids make a resend harmless).
    """

    def __init__(self, conn: redis.Redis):
        self._conn = conn
        self._sha = hashlib.sha1(_SCRIPT.encode()).hexdigest()
        self._local = threading.local()

    def _evalsha(self, keys: list, args: list):
        connection = getattr(self._local, "connection", None)
        if connection is None:
            connection = self._local.connection = self._conn.connection_pool.make_connection()
        for attempt in range(2):
            try:
                connection.send_command("EVALSHA", self._sha, len(keys), *keys, *args)
            except (redis.ConnectionError, redis.TimeoutError):  # e.g. Redis restarted since the last request
                connection.disconnect()
                if attempt:
                    raise
                continue
            try:
                return connection.read_response()
            except NoScriptError:  # a restarted or flushed Redis forgot it: load it, go again
                self._conn.script_load(_SCRIPT)
            except (redis.ConnectionError, redis.TimeoutError):
                connection.disconnect()
                raise
        raise redis.RedisError("the ingest script could not be run")

    def admit(self, limits: list[Limit], groups: dict[str, list[tuple]] | None = None,
              rejected: Counter | None = None, now: float | None = None) -> Refused | list[str]:
        """Count the request against every limit and, if all let it through, buffer the rows by class and add
        the counters. Returns the refusal, or the classes whose drain flag was just set (they need a drain job)."""
        now = time.time() if now is None else now
        keys, args = [], [len(limits)]
        for limit in limits:
            limit_keys, limit_args = limit.keys_and_args(now)
            keys += limit_keys
            args += limit_args
        keys += [telemetry.BUFFERED, telemetry.COUNTERS, telemetry.rejected_key(int(now // 60))]
        groups, rejected = groups or {}, rejected or Counter()
        args += [buffer.FLAG_TTL, len(groups)]
        for cls, rows in groups.items():
            keys += [buffer.buffer_key(cls), buffer.flag_key(cls)]
            args += [cls, len(rows), buffer.element(rows)]
        args.append(len(rejected))
        for reason, n in rejected.items():
            args += [reason, n]
        args.append(telemetry.REJECTED_TTL)
        result = self._evalsha(keys, args)
        if result[0] == 0:
            limit = limits[int(result[1])]
            return Refused(limit, limit.retry_after(now, int(result[2]), int(result[3])))
        return [cls.decode() if isinstance(cls, bytes) else cls for cls in result[1:]]
