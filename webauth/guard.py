"""The one gate in front of everything: a `before_request` hook that lets through only what must stay open and
requires a valid session for the rest.

Open: the login/logout/kiosk-entry views, /healthz, the ingest endpoint (it has its own keys), /assets/ (the login
page's stylesheet; nothing there is data), and /metrics (open unless METRICS_TOKEN is set, then a Bearer token).
Without a session a page request is redirected to /login?next=…, and an API, Dash (`/_dash-*`) or WebSocket
request gets 401 JSON. /admin needs the admin role; the admin page's callbacks check the role themselves too.
"""

from __future__ import annotations

import hmac
import logging

from flask import current_app, g, jsonify, redirect, request, url_for
from sqlalchemy.exc import SQLAlchemyError

from webauth import identity

log = logging.getLogger(__name__)
OPEN_PATHS = frozenset({"/login", "/logout", "/healthz", "/favicon.ico", "/_favicon.ico"})
OPEN_PREFIXES = ("/api/v1/events/", "/assets/", "/kiosk/")
SESSIONLESS_PREFIXES = ("/api/v1/events/",)  # machine endpoints with their own keys: no cookie session at all
MACHINE_PREFIXES = ("/api/", "/_dash", "/_reload", "/ws/")
ADMIN_PREFIXES = ("/admin",)


def is_open(path: str) -> bool:
    """Whether a path is reachable without a session."""
    return path in OPEN_PATHS or path.startswith(OPEN_PREFIXES)


def check():
    """before_request: None to continue, or the refusal."""
    path = request.path
    if path == "/metrics":
        return _metrics_token()
    if is_open(path):
        return None
    try:
        who = identity.current()
    except SQLAlchemyError as exc:  # cannot check the session: say so instead of letting anyone in or out
        log.warning("session check failed: %s", exc)
        return jsonify(error="authentication backend unavailable, retry later"), 503, {"Retry-After": "5"}
    if who is None:
        return _unauthenticated(path)
    g.identity = who
    if path.startswith(ADMIN_PREFIXES) and not who.is_admin:
        return jsonify(error="admin role required"), 403
    return None


def _unauthenticated(path: str):
    if path.startswith(MACHINE_PREFIXES) or request.method not in ("GET", "HEAD"):
        return jsonify(error="authentication required: log in at /login"), 401
    target = request.full_path.rstrip("?")
    return redirect(url_for("webauth.login", next=target))


def _metrics_token():
    token = current_app.extensions["settings"].metrics_token
    if token is None:
        return None
    given = request.headers.get("Authorization", "")
    if given[:7].lower() == "bearer " and hmac.compare_digest(given[7:].strip().encode(), token.encode()):
        return None
    return jsonify(error="metrics token required"), 401, {"WWW-Authenticate": 'Bearer realm="metrics"'}
