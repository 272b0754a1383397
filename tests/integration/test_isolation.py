"""Open dashboards cannot starve ingest: under the real gunicorn web process, 120 live WebSockets of one viewer plus
page queries running do not keep an ingest POST from being answered, the sockets keep receiving deltas, and the
per-user socket cap refuses the next socket with a clear close reason. (Latency figures live in bench/isolation.py.)
"""

from __future__ import annotations

import http.client
import json
import re
import threading
import time

import pytest
import redis as redis_lib
import requests
import websocket

from tests.integration import faultkit as kit
from tests.support import REDIS_URL, TEST_KEY, USERS

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SOCKETS = 120
PROBE = ["outbound", "delivered", "mta-isolation-probe", 1]


@pytest.fixture
def web(clean, test_users, tmp_path):
    procs = kit.Processes(REDIS_URL, tmp_path, WS_MAX_PER_USER=str(SOCKETS))
    procs.start("web")
    yield procs
    procs.stop()


def _login(port: int, user: str = "viewer") -> str:
    """Log in through the real form; return the Cookie header value."""
    http_session = requests.Session()
    form = http_session.get(f"http://127.0.0.1:{port}/login", timeout=10).text
    csrf = re.search(r'name="csrf" value="([^"]+)"', form).group(1)
    name, password = USERS[user]
    answer = http_session.post(f"http://127.0.0.1:{port}/login", timeout=10, allow_redirects=False,
                               data={"username": name, "password": password, "csrf": csrf})
    assert answer.status_code in (302, 303), answer.text[:200]
    return "; ".join(f"{k}={v}" for k, v in http_session.cookies.items())


def _open(port: int, cookie: str) -> websocket.WebSocket:
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws/email-flow", timeout=10, cookie=cookie)
    assert json.loads(ws.recv())["type"] == "hello"
    return ws


def _post(port: int, events: list[dict]) -> tuple[int, float]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    started = time.monotonic()
    conn.request("POST", "/api/v1/events/ingest", json.dumps(events),
                 {"Content-Type": "application/json", "Authorization": f"Bearer {TEST_KEY}"})
    status = conn.getresponse().status
    return status, time.monotonic() - started


def _query_loop(port: int, cookie: str, stop: threading.Event, done: list) -> None:
    http_session = requests.Session()
    while not stop.is_set():
        for path in ("/api/v1/email/throughput?range=24h", "/api/v1/email/stats?by=domain&range=7d", "/queue"):
            done.append(http_session.get(f"http://127.0.0.1:{port}{path}", headers={"Cookie": cookie},
                                         timeout=30).status_code)


def test_ingest_answers_while_many_sockets_are_open(web):
    cookie = _login(web.port)
    sockets = [_open(web.port, cookie) for _ in range(SOCKETS)]
    stop, queried = threading.Event(), []
    readers = [threading.Thread(target=_query_loop, args=(web.port, cookie, stop, queried)) for _ in range(2)]
    for reader in readers:
        reader.start()
    try:
        now = int(time.time() * 1000)
        answers = [_post(web.port, [{"event_id": f"iso-{i}", "event_type": "delivered", "direction": "outbound",
                                     "timestamp": now, "mta_node": "mta-iso"}]) for i in range(50)]
        assert [status for status, _ in answers] == [202] * 50
        slowest = max(seconds for _, seconds in answers)
        assert slowest < 2.0, f"an ingest POST took {slowest:.2f} s with {SOCKETS} sockets open"
        kit.wait_for(lambda: len(queried) >= 6, 60, "page queries to run beside the sockets")
        assert set(queried) == {200}
    finally:
        stop.set()
        for reader in readers:
            reader.join(60)
    # every socket is still served: a published delta reaches each of them
    redis_lib.Redis.from_url(REDIS_URL).publish("email-flow", json.dumps(
        {"type": "delta", "committed_at": 1, "n": 1, "counts": [PROBE], "seconds": []}))
    for ws in sockets:  # (pub/sub is server-wide: deltas of another Mailflow on this Redis are skipped)
        message = json.loads(ws.recv())
        while PROBE not in message.get("counts", []):
            message = json.loads(ws.recv())
    for ws in sockets:
        ws.close()


def test_the_socket_cap_refuses_with_a_reason_and_frees_seats(web):
    cookie = _login(web.port)
    sockets = [_open(web.port, cookie) for _ in range(SOCKETS)]
    extra = websocket.create_connection(f"ws://127.0.0.1:{web.port}/ws/email-flow", timeout=10, cookie=cookie)
    opcode, frame = extra.recv_data(control_frame=True)
    assert opcode == websocket.ABNF.OPCODE_CLOSE
    code, reason = int.from_bytes(frame[:2], "big"), frame[2:].decode()
    assert code == 1008 and "too many live dashboards" in reason and str(SOCKETS) in reason
    extra.close()
    sockets.pop().close()  # a closed socket gives its seat back at once
    kit.wait_for(lambda: _try_open(web.port, cookie), 10, "the freed seat to be usable")
    for ws in sockets:
        ws.close()


def _try_open(port: int, cookie: str):
    ws = websocket.create_connection(f"ws://127.0.0.1:{port}/ws/email-flow", timeout=10, cookie=cookie)
    opcode, frame = ws.recv_data(control_frame=True)
    if opcode == websocket.ABNF.OPCODE_TEXT and json.loads(frame)["type"] == "hello":
        return ws
    ws.close()
    return None
