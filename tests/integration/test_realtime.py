"""The WebSocket relay: an event POSTed and written by the real worker reaches a connected browser as a delta."""

from __future__ import annotations

import json
import time

import pytest
import websocket

from tests.support import post, run_worker, serve, session_cookie

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
        # pub/sub channels are server-wide: skip pings, and deltas another Mailflow on this Redis may publish
        while message["type"] == "ping" or not any(c[2] == "mta-rt" for c in message.get("counts", [])):
            message = json.loads(ws.recv())
        assert message["type"] == "delta" and message["n"] == 1
        assert message["counts"] == [["outbound", "bounced", "mta-rt", 1]]
        assert message["seconds"] == [[now // 1000, "outbound", "bounced", 1]]
    finally:
        ws.close()


def _close_frame(ws) -> tuple[int, str]:
    """Read until the server's close frame; its (code, reason)."""
    while True:
        opcode, frame = ws.recv_data(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(frame[:2], "big"), frame[2:].decode()


def test_a_socket_whose_session_ended_is_closed_with_the_reason(live_server, client):
    ws = websocket.create_connection(f"ws://{live_server}/ws/email-flow", timeout=15, cookie=session_cookie(client))
    try:
        assert json.loads(ws.recv())["type"] == "hello"
        client.get("/_dash-layout")  # the shell's logout form carries the CSRF token
        with client.session_transaction() as session:
            csrf = session["csrf"]
        assert client.post("/logout", data={"csrf": csrf}).status_code == 302
        assert _close_frame(ws) == (1008, "session ended")  # within AUTH_CACHE_SECONDS plus one check round
    finally:
        ws.close()


def test_a_page_of_another_origin_cannot_open_the_feed(live_server, client):
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(f"ws://{live_server}/ws/email-flow", timeout=10, cookie=session_cookie(client),
                                    origin="https://evil.example")
    assert refused.value.status_code == 403
