"""The WebSocket relay: an event POSTed and written by the real worker reaches a connected browser as a delta."""

from __future__ import annotations

import json
import time

import pytest
import websocket

from tests.integration.conftest import post, run_worker, serve, session_cookie

pytestmark = pytest.mark.integration


@pytest.fixture
def live_server(app, clean):
    """The app served on an ephemeral loopback port in a thread."""
    with serve(app) as address:
        yield address


def test_posted_event_arrives_as_a_delta(live_server, client, redis):
    ws = websocket.create_connection(f"ws://{live_server}/ws/email-flow", timeout=10, cookie=session_cookie(client))
    try:
        assert json.loads(ws.recv())["type"] == "hello"
        now = int(time.time() * 1000)
        event = {"event_id": "rt-1", "event_type": "bounced", "direction": "outbound", "timestamp": now,
                 "mta_node": "mta-rt", "bounce_category": "recipient"}
        assert post(client, [event]).status_code == 202
        run_worker(redis)
        message = json.loads(ws.recv())
        while message["type"] == "ping":
            message = json.loads(ws.recv())
        assert message["type"] == "delta" and message["n"] == 1
        assert message["counts"] == [["outbound", "bounced", "mta-rt", 1]]
        assert message["seconds"] == [[now // 1000, "outbound", "bounced", 1]]
    finally:
        ws.close()
