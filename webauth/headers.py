"""Security headers on every response: a Content-Security-Policy Dash can live with, nosniff, frame-ancestors
(wall-screen embedding only for the origins in FRAME_ANCESTORS), Referrer-Policy, no caching of data responses,
and HSTS when the request came over HTTPS.

Dash renders one inline script (the renderer bootstrap) plus any inline clientside callbacks; their SHA-256 hashes
come from `Dash.csp_hashes()`, so script-src needs no 'unsafe-inline'. Styles do need 'unsafe-inline': Plotly and
the React components set inline styles. Everything is served by this origin (no CDN).
"""

from __future__ import annotations

import re
from typing import Any

from flask import Response, request

from config import Settings
from webauth.guard import SESSIONLESS_PREFIXES

_HOST = re.compile(r"^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
NO_STORE_PREFIXES = ("/api/v1/email", "/_dash-update-component", "/_dash-layout", "/login", "/kiosk/")


def policy(script_hashes: list[str], frame_ancestors: tuple[str, ...], host: str) -> str:
    """The CSP header value."""
    ancestors = " ".join(frame_ancestors) or "'none'"
    # CSP3 browsers match ws(s) of this host with 'self'; older ones need it spelled out (host checked first)
    sockets = f" ws://{host} wss://{host}" if _HOST.match(host) else ""
    return "; ".join([
        "default-src 'self'",
        "script-src 'self' " + " ".join(script_hashes),
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'" + sockets,
        "worker-src 'self' blob:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        f"frame-ancestors {ancestors}",
    ])


def init_headers(server, settings: Settings, dash_app: Any) -> None:
    """Add the headers to every response of the server (dash_app: the mounted Dash, for its script hashes)."""
    hashes: list[str] = []

    @server.after_request
    def _secure(response: Response) -> Response:
        if request.path.startswith(SESSIONLESS_PREFIXES):  # the ingest blueprint sets its own (no page policy)
            return response
        if not hashes or response.mimetype == "text/html":  # Dash adds its inline scripts at first request
            hashes[:] = dash_app.csp_hashes()
        h = response.headers
        h.setdefault("Content-Security-Policy", policy(hashes, settings.frame_ancestors, request.host))
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        if not settings.frame_ancestors:
            h.setdefault("X-Frame-Options", "DENY")
        if request.path.startswith(NO_STORE_PREFIXES):
            h["Cache-Control"] = "no-store"
        if request.is_secure:
            h.setdefault("Strict-Transport-Security", "max-age=31536000")
        return response
