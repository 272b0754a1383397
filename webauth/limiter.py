"""The login rate limiter: flask-limiter with its counters in Redis, so every web process shares them.

Only the login form uses it (webauth.views). Ingest has its own limits inside its single Redis round trip
(ingest.gate), so the limiter is told to leave the ingest blueprint alone: its per-request hook then returns at once.
"""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address

from config import Settings


def storage_uri(redis_url: str) -> str:
    """The `limits` storage URI for a Redis URL (it spells unix sockets redis+unix://)."""
    return "redis+unix://" + redis_url[len("unix://"):] if redis_url.startswith("unix://") else redis_url


def init_limiter(app: Flask, settings: Settings, exempt: Blueprint) -> Limiter:
    """A limiter on the app for the views that ask for one; `exempt` (the ingest blueprint) is never checked."""
    limiter = Limiter(
        get_remote_address,
        app=app,
        storage_uri=storage_uri(settings.redis_url),
        strategy="moving-window",
        headers_enabled=True,
        swallow_errors=True,  # a Redis hiccup must not lock everyone out of the login form
    )
    limiter.exempt(exempt)
    return limiter
