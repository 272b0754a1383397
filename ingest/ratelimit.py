"""Rate limits on ingest, per source IP and per ingest key (flask-limiter, counters in Redis so every web process
shares them). The per-key limit stops one leaked or runaway key without touching the other nodes' keys.

A limited client gets 429 with Retry-After; the ZoneMTA plugin honours it and retries the same batch.
"""

from __future__ import annotations

from flask import Flask, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded
from flask_limiter.util import get_remote_address

from config import Settings
from ingest import auth


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a Redis URL (it spells unix sockets redis+unix://)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def _no_valid_key() -> bool:
    # a wrong key is answered 401 and counted by the per-IP limit only
    return auth.identify(request) in (None, auth.UNAVAILABLE)


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
    limiter.limit(settings.ingest_key_rate_limit, key_func=lambda: "key:" + str(auth.identify(request)),
                  exempt_when=_no_valid_key)(blueprint)

    @app.errorhandler(RateLimitExceeded)
    def _limited(exc: RateLimitExceeded):
        return jsonify(error=f"rate limit exceeded ({exc.description})", queued=0, rejected=[]), 429

    return limiter
