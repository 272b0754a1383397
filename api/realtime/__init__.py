"""GET /ws/email-flow: the writers' Redis deltas (channel "email-flow") relayed to browsers over a WebSocket.

flask-sock does the handshake in the request; then the socket is handed to this process's hub (api.realtime.hub),
which serves every socket from one thread and one Redis subscription. Under gunicorn the request thread goes
straight back to the pool (realtime.handoff), so open dashboards never hold threads that ingest needs; under other
servers (the tests' and the development server) the thread waits until the socket closes.

Before the handshake the Origin must be this host or a FRAME_ANCESTORS origin (no cross-site page can open a
socket with a viewer's cookie). Each socket takes a seat of its owner's cap (WS_MAX_PER_USER, across all
processes); a refused one is closed with code 1008 and the reason. Every AUTH_CACHE_SECONDS the sessions behind
open sockets are checked again, and a socket whose session ended (logout, revoked kiosk link, disabled user) is
closed with the reason "session ended".
"""

from __future__ import annotations

import contextlib
import fnmatch
import logging
import threading
import time
import uuid
from urllib.parse import urlsplit

import redis
from flask import Flask, current_app, g, jsonify, request
from flask_sock import Sock

from api.realtime import handoff, seats
from api.realtime.hub import POLICY_VIOLATION, Client, Hub
from pipeline import deltas
from webauth import identity

sock = Sock()
log = logging.getLogger(__name__)
PATH = "/ws/email-flow"
SEAT_REFRESH_SECONDS = seats.LEASE_SECONDS / 3


def init_realtime(app: Flask) -> None:
    """Mount the WebSocket route, its Origin check and this process's hub on the app."""
    app.config["SOCK_SERVER_OPTIONS"] = {"thread_class": handoff.NoThread}
    conn = app.extensions["redis"]
    app.extensions["realtime_hub"] = hub = Hub(conn, deltas.CHANNEL, on_close=lambda c: _give_back(conn, c))
    app.before_request(_check_origin)
    sock.init_app(app)
    threading.Thread(target=_watch, args=(app, hub), name="realtime-watch", daemon=True).start()


def allowed_origin(origin: str | None, host: str, frame_ancestors: tuple[str, ...]) -> bool:
    """Whether a browser page of `origin` may open a socket on `host` (no Origin: not a browser, allowed)."""
    if not origin:
        return True
    parts = urlsplit(origin)
    if parts.scheme in ("http", "https") and parts.netloc.lower() == host.lower():
        return True
    return any(fnmatch.fnmatchcase(origin.lower(), allowed.lower()) for allowed in frame_ancestors
               if allowed != "'self'")


def _check_origin():
    if request.path != PATH:
        return None
    settings = current_app.extensions["settings"]
    if allowed_origin(request.headers.get("Origin"), request.host, settings.frame_ancestors):
        return None
    return jsonify(error="this origin may not open the live feed"), 403


@sock.route(PATH)
def email_flow(ws) -> None:
    """Hand the socket to the hub, or close it at once when its owner has no seat left."""
    settings, hub = current_app.extensions["settings"], current_app.extensions["realtime_hub"]
    who = g.identity
    owner = f"{who.kind}:{who.user_id if who.user_id is not None else who.name}"
    client = Client(sock=ws.sock, ws=ws.ws, owner=owner, cookie=request.headers.get("Cookie", ""),
                    seat=uuid.uuid4().hex)
    try:
        seated = seats.take(hub.conn, owner, client.seat, settings.ws_max_per_user)
    except redis.RedisError:
        seated = True  # the cap is a safety valve: without Redis there is no feed to protect anyway
    if not seated:
        handoff.refuse(ws, POLICY_VIOLATION, f"too many live dashboards open for this user (limit "
                                             f"{settings.ws_max_per_user}): close a tab or wall screen")
        return
    released = handoff.release(ws, client)
    hub.adopt(client)
    if not released:
        client.done.wait()


def _give_back(conn, client: Client) -> None:
    with contextlib.suppress(redis.RedisError):  # the seat lapses by itself within seats.LEASE_SECONDS
        seats.give_back(conn, client.owner, client.seat)


def _watch(app: Flask, hub: Hub) -> None:
    """Re-check the sessions behind open sockets and keep their seats alive."""
    settings = app.extensions["settings"]
    next_refresh = 0.0
    while True:
        time.sleep(max(settings.auth_cache_seconds, 0.5))
        clients = hub.snapshot()
        if not clients:
            continue
        try:
            ended = {cookie for cookie in {c.cookie for c in clients} if not _session_valid(app, cookie)}
            if ended:
                hub.close_where(lambda c, ended=ended: c.cookie in ended, "session ended")
            if time.monotonic() > next_refresh:
                seats.refresh(hub.conn, [(c.owner, c.seat) for c in clients])
                next_refresh = time.monotonic() + SEAT_REFRESH_SECONDS
        except Exception:  # a database or Redis hiccup: keep the sockets, check again at the next round
            log.exception("realtime session check failed")


def _session_valid(app: Flask, cookie: str) -> bool:
    with app.test_request_context(PATH, headers={"Cookie": cookie}):
        return identity.current() is not None
