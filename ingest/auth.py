"""Ingest API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`.

Two kinds of key name the event `source`: bootstrap keys from INGEST_API_KEYS (`key1`, `key2`, ..., compared in
constant time) and managed keys created by an admin, looked up by SHA-256 in the Redis mirror (apikeys.py) —
ingest never reads PostgreSQL. A lookup is cached in this process for INGEST_KEY_CACHE_SECONDS (≤ 2 s), so a
revoked key stops within that bound without a Redis round trip on every request.
"""

from __future__ import annotations

import hmac
import threading
import time

import redis
from flask import Request, current_app, g

from pipeline import apikeys

UNAVAILABLE = "\0unavailable"  # Redis could not be asked: answer 503 (retry), not 401 (wrong key)
_CACHE_MAX = 4096
_cache: dict[str, tuple[str | None, float]] = {}
_lock = threading.Lock()


def presented_key(request: Request) -> str | None:
    """The key the client sent, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def source_of(request: Request, keys: tuple[str, ...]) -> str | None:
    """The name of the matching bootstrap key ('key1', 'key2', ...), or None when missing or wrong.

    Every configured key is compared, whatever matched, so timing reveals neither a key nor its position.
    """
    given = (presented_key(request) or "").encode()
    match = None
    for n, key in enumerate(keys, start=1):
        if hmac.compare_digest(given, key.encode()) and given:
            match = f"key{n}"
    return match


def identify(request: Request) -> str | None:
    """The source name of the request's key (bootstrap or managed), None for a wrong or missing key, or
    UNAVAILABLE when Redis cannot be asked. Memoised per request: the rate limiter and the view both ask."""
    if "ingest_source" not in g:
        settings = current_app.extensions["settings"]
        source = source_of(request, settings.ingest_api_keys)
        key = presented_key(request)
        if source is None and key:
            source = _managed(key, current_app.extensions["redis"], settings.ingest_key_cache_seconds)
        g.ingest_source = source
    return g.ingest_source


def _managed(key: str, conn: redis.Redis, ttl: float) -> str | None:
    digest = apikeys.digest(key)
    now = time.monotonic()
    hit = _cache.get(digest)
    if hit is not None and hit[1] > now:
        return hit[0]
    try:
        raw = conn.hget(apikeys.REDIS_HASH, digest)
    except redis.RedisError:
        return UNAVAILABLE
    name = raw.decode() if raw is not None else None
    if ttl > 0:
        with _lock:
            if len(_cache) >= _CACHE_MAX:  # random wrong keys must not grow memory without bound
                _cache.clear()
            _cache[digest] = (name, now + ttl)
    return name
