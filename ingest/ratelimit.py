"""Per-source-IP rate limit on ingest (flask-limiter, counters in Redis so every web process shares them).

A limited client gets 429 with Retry-After; the ZoneMTA plugin honours it and retries the same batch.
"""

from __future__ import annotations

from flask import Flask, jsonify
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from config import Settings


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a Redis URL (it spells unix sockets redis+unix://)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def init_limiter(app: Flask, settings: Settings, blueprint) -> Limiter:
    """Attach a limiter to the app that applies the ingest limit to the blueprint's routes."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage_uri(settings.redis_url),
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,  # a Redis hiccup must not turn into 500s; ingest itself answers 503 then
    )
    limiter.limit(settings.ingest_rate_limit)(blueprint)

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded):
        return jsonify(error=f"rate limit exceeded ({exc.description})", queued=0, rejected=[]), 429

    return limiter
