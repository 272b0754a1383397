"""Dashboard security (README "Security"): users with roles, login sessions, wall-screen kiosk tokens, the gate
in front of every page, API and WebSocket request, and the security headers.

`init_auth(server, settings)` installs it all on the Flask server before Dash is mounted;
`init_headers(server, settings, dash_app)` adds the headers once Dash exists. Managed ingest keys live in
store.ingest_keys; ingest itself only reads their Redis mirror.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import Flask, request
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.proxy_fix import ProxyFix

from config import Settings
from store import db, ingest_keys
from webauth import guard, views
from webauth.headers import init_headers
from webauth.identity import KIOSK_SESSION_DAYS
from webauth.limiter import LoginLimiter

__all__ = ["init_auth", "init_headers", "SESSION_COOKIE"]
SESSION_COOKIE = "mailflow_session"
log = logging.getLogger(__name__)


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions; with SESSION_COOKIE_SECURE=auto the cookie is Secure exactly when the request
    came over HTTPS (directly, or per X-Forwarded-Proto from a trusted proxy with TRUST_PROXY)."""

    def __init__(self, secure: str):
        self.secure = secure

    def get_cookie_secure(self, app: Flask) -> bool:
        return request.is_secure if self.secure == "auto" else self.secure == "true"

    def open_session(self, app: Flask, request):
        # the ingest endpoints authenticate by key on every request: reading (and re-signing) a cookie there would
        # only cost the hot path time (None gives Flask's null session, which is never saved)
        if request.path.startswith(guard.SESSIONLESS_PREFIXES):
            return None
        return super().open_session(app, request)


def init_auth(server: Flask, settings: Settings) -> None:
    """Sessions, the login/kiosk views, the gate, and the Redis mirror of the ingest keys."""
    if settings.trust_proxy:
        n = settings.trust_proxy
        server.wsgi_app = ProxyFix(server.wsgi_app, x_for=n, x_proto=n, x_host=n, x_port=n)
    server.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_COOKIE_HTTPONLY=True,
                         SESSION_COOKIE_SAMESITE="Lax", PERMANENT_SESSION_LIFETIME=timedelta(days=KIOSK_SESSION_DAYS))
    server.session_interface = _SessionInterface(settings.session_cookie_secure)
    server.register_blueprint(views.blueprint(LoginLimiter(settings.redis_url, settings.login_rate_limit)))
    server.before_request(guard.check)
    _sync_ingest_keys(server)


def _sync_ingest_keys(server: Flask) -> None:
    # heals a Redis that lost the mirror (flushed, restored without AOF); a failure only delays managed keys
    try:
        with db.engine().connect() as conn:
            ingest_keys.sync(conn, server.extensions["redis"])
    except Exception as exc:  # the web process must start even when PostgreSQL or Redis is briefly down
        log.warning("could not mirror the ingest keys into Redis at start-up: %s", exc)
