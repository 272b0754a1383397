"""The login rate limit: attempts per source IP and, separately, per username, counted in Redis so every web process
shares them (the `limits` library's moving window, the same counting flask-limiter does).

It is a decorator on the two views that need it, not an app-wide hook: nothing runs on any other request, which
matters on the ingest hot path (ingest has its own limits inside its one Redis round trip, ingest.gate).
"""

from __future__ import annotations

import functools
import logging
import math
import time
from collections.abc import Callable

from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

log = logging.getLogger(__name__)


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a Redis URL (it spells unix sockets redis+unix://)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


class LoginLimiter:
    """Counts attempts under a rate string ("10/minute" or "5/second;10/minute") per key."""

    def __init__(self, redis_url: str, rate: str):
        self.rate = rate
        self._items = parse_many(rate)
        self._strategy = MovingWindowRateLimiter(storage_from_string(storage_uri(redis_url)))

    def hit(self, key: str) -> int:
        """Count one attempt for the key; 0 when allowed, else the seconds until the next one would be."""
        try:
            for item in self._items:
                if not self._strategy.hit(item, "login", key):
                    reset = self._strategy.get_window_stats(item, "login", key).reset_time
                    return max(1, math.ceil(reset - time.time()))
        except Exception as exc:  # a Redis hiccup must not lock everyone out of the login form
            log.warning("login rate limit unavailable: %s", exc)
        return 0

    def limit(self, key_func: Callable[[], str], refuse: Callable[[str, int], object]):
        """A decorator: the view runs only while the key has attempts left, else refuse(rate, retry_after)."""
        def decorate(view):
            @functools.wraps(view)
            def limited(*args, **kwargs):
                wait = self.hit(key_func())
                return refuse(self.rate, wait) if wait else view(*args, **kwargs)
            return limited
        return decorate
