"""Real notification receivers for the alert tests: a tiny HTTP server in a thread that records webhook POSTs (and
answers a chosen status), and an aiosmtpd SMTP server that records the messages it is handed."""

from __future__ import annotations

import json
import socket
import threading
from contextlib import contextmanager
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


class Webhook:
    """Received JSON bodies in order; `status` is what every POST is answered with."""

    def __init__(self):
        self.bodies: list[dict] = []
        self.status = 200
        self.url = ""


@contextmanager
def webhook_receiver():
    """Yield a Webhook recording every POST to http://127.0.0.1:<port>/hook."""
    hook = Webhook()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802  (http.server's naming)
            length = int(self.headers.get("Content-Length", 0))
            hook.bodies.append(json.loads(self.rfile.read(length)))
            self.send_response(hook.status)
            self.end_headers()

        def log_message(self, *_args):  # keep the test output clean
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    hook.url = f"http://127.0.0.1:{server.server_port}/hook"
    try:
        yield hook
    finally:
        server.shutdown()
        thread.join(timeout=10)


class _Recorder:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, _server, _session, envelope):  # noqa: N802  (aiosmtpd's hook name)
        self.messages.append((envelope.rcpt_tos, message_from_bytes(envelope.content)))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_receiver():
    """Yield (port, recorder) of a real SMTP server on loopback; recorder.messages holds (recipients, message)."""
    recorder = _Recorder()
    controller = Controller(recorder, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller.port, recorder
    finally:
        controller.stop()
