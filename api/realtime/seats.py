"""The per-user cap on open dashboards sockets, shared by every web process through Redis.

Each open socket holds a seat: a member of its owner's sorted set, scored by when the seat lapses. A process
refreshes the seats of its live sockets well before they lapse and gives a seat back when its socket closes, so a
process that dies frees its seats within LEASE_SECONDS without anyone cleaning up.
"""

from __future__ import annotations

import time

import redis

LEASE_SECONDS = 60
_TAKE = """
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
return 1
"""


def _key(owner: str) -> str:
    return f"mailflow:ws-seats:{owner}"


def take(conn: redis.Redis, owner: str, seat: str, cap: int, now: float | None = None) -> bool:
    """Give the socket a seat unless its owner already holds `cap` live ones."""
    now = time.time() if now is None else now
    return bool(conn.eval(_TAKE, 1, _key(owner), now, now + LEASE_SECONDS, cap, seat, 2 * LEASE_SECONDS))


def refresh(conn: redis.Redis, seats: list[tuple[str, str]], now: float | None = None) -> None:
    """Extend the lease of every (owner, seat) still open in this process."""
    if not seats:
        return
    until = (time.time() if now is None else now) + LEASE_SECONDS
    pipe = conn.pipeline(transaction=False)
    for owner, seat in seats:
        pipe.zadd(_key(owner), {seat: until})
        pipe.expire(_key(owner), 2 * LEASE_SECONDS)
    pipe.execute()


def give_back(conn: redis.Redis, owner: str, seat: str) -> None:
    """Free a closed socket's seat at once."""
    conn.zrem(_key(owner), seat)

