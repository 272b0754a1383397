"""GET /ws/email-flow: relays the writers' Redis deltas (channel "email-flow") to browsers over a WebSocket.

Each connection gets its own pub/sub subscription and a thread (gunicorn gthread), which suits a handful of wall
screens and analysts. A ping every 15 s of silence keeps proxies from closing the socket and finds dead clients.
"""

from __future__ import annotations

import json
import logging
import time

from flask import Flask, current_app
from flask_sock import ConnectionClosed, Sock

from store import counters

sock = Sock()
log = logging.getLogger(__name__)
PING_SECONDS = 15.0


def init_realtime(app: Flask) -> None:
    """Mount the WebSocket route on the app."""
    sock.init_app(app)


@sock.route("/ws/email-flow")
def email_flow(ws) -> None:
    """Forward every published delta to this client until it goes away."""
    pubsub = current_app.extensions["redis"].pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(counters.CHANNEL)
    try:
        ws.send(json.dumps({"type": "hello", "server_time": int(time.time() * 1000)}))
        while True:
            message = pubsub.get_message(timeout=PING_SECONDS)
            if message is not None:
                ws.send(message["data"].decode())
            elif not ws.connected:
                break
            else:
                ws.send(json.dumps({"type": "ping", "server_time": int(time.time() * 1000)}))
    except ConnectionClosed:
        log.debug("realtime client went away")
    except Exception:  # a Redis failure ends this socket; the browser reconnects with backoff
        log.exception("realtime relay stopped")
    finally:
        pubsub.close()
