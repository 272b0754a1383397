"""The per-process WebSocket hub: one Redis subscription to "email-flow", fanned out to every open socket of this
process by one selector thread.

A socket costs a registered file descriptor and a small buffer here, never a thread of the web server's pool, so
a wall of dashboards cannot starve ingest. Deltas that arrive together are merged into one frame (the browser adds
up every entry, so concatenation is exact). A client that stops reading is closed once MAX_PENDING bytes wait for
it, rather than letting its backlog grow without bound.
"""

from __future__ import annotations

import collections
import contextlib
import json
import logging
import selectors
import socket
import threading
import time
from dataclasses import dataclass, field

import redis
from wsproto.events import CloseConnection, Ping, TextMessage
from wsproto.utilities import LocalProtocolError, RemoteProtocolError

log = logging.getLogger(__name__)
PING_SECONDS = 15.0  # a message at least this often keeps proxies from closing an idle socket
MAX_PENDING = 1 << 20
POLICY_VIOLATION = 1008


def _now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(eq=False)
class Client:
    """One adopted socket: the connection, its wsproto state, who owns it and what still has to be written."""

    sock: socket.socket
    ws: object  # wsproto.WSConnection, already past the handshake
    owner: str
    cookie: str
    seat: str = ""
    out: bytearray = field(default_factory=bytearray)
    last_sent: float = field(default_factory=time.monotonic)
    done: threading.Event = field(default_factory=threading.Event)


def merge(messages: list[dict]) -> dict:
    """Several deltas as one: counts and per-second cells concatenated, n summed."""
    if len(messages) == 1:
        return messages[0]
    return {"type": "delta", "committed_at": max(m["committed_at"] for m in messages),
            "n": sum(m["n"] for m in messages), "counts": [c for m in messages for c in m["counts"]],
            "seconds": [s for m in messages for s in m["seconds"]]}


class Hub:
    """Owns every adopted socket of the process; `adopt`, `close_where` and the Redis relay feed its loop."""

    def __init__(self, conn: redis.Redis, channel: str, on_close=None):
        self.conn, self.channel, self.on_close = conn, channel, on_close
        self.clients: set[Client] = set()
        self._commands: collections.deque = collections.deque()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._selector = selectors.DefaultSelector()
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        self._lock = threading.Lock()
        self._started = False

    def start(self) -> None:
        """Start the loop and the Redis relay once, on first use (a process that never serves a socket never
        subscribes)."""
        with self._lock:
            if self._started:
                return
            self._started = True
        threading.Thread(target=self._loop, name="realtime-loop", daemon=True).start()
        threading.Thread(target=self._relay, name="realtime-relay", daemon=True).start()

    def adopt(self, client: Client) -> None:
        """Take over a socket: greet it, then keep it until either side closes."""
        self.start()
        self._post(("adopt", client))

    def close_where(self, predicate, reason: str) -> None:
        """Close (with a policy-violation code and the reason) every socket whose client matches."""
        self._post(("close", predicate, reason))

    def snapshot(self) -> list[Client]:
        """The sockets open right now (for bookkeeping outside the loop: session checks, the per-user cap)."""
        with self._lock:
            return list(self.clients)

    def _post(self, command: tuple) -> None:
        self._commands.append(command)
        with contextlib.suppress(BlockingIOError):  # a full wake-up pipe: the loop has wake-ups pending already
            self._wake_w.send(b"\0")

    def _relay(self) -> None:
        backoff = 1.0
        while True:
            pubsub = self.conn.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.subscribe(self.channel)
                backoff = 1.0
                while True:
                    message = pubsub.get_message(timeout=PING_SECONDS)
                    if message is not None:
                        self._post(("delta", message["data"]))
            except redis.RedisError as exc:  # keep the sockets; deltas resume once Redis is back
                log.warning("realtime relay lost Redis (%s); retrying in %.0f s", exc, backoff)
                time.sleep(backoff)
                backoff = min(backoff * 2, 15.0)
            finally:
                pubsub.close()

    def _loop(self) -> None:
        while True:
            try:
                for key, mask in self._selector.select(timeout=1.0):
                    if key.data is None:
                        self._run_commands()
                    elif mask & selectors.EVENT_READ:
                        self._read(key.data)
                    elif mask & selectors.EVENT_WRITE:
                        self._flush(key.data)
                self._ping_idle()
            except Exception:  # one bad socket or message must not end the feed of every other socket
                log.exception("realtime loop error")

    def _run_commands(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self._wake_r.recv(4096):
                continue
        deltas = []
        while self._commands:
            command = self._commands.popleft()
            if command[0] == "delta":
                deltas.append(command[1])
            elif command[0] == "adopt":
                self._register(command[1])
            else:
                for client in [c for c in self.clients if command[1](c)]:
                    self._close(client, POLICY_VIOLATION, command[2])
        if deltas:  # one delta goes out as published; several are merged into one frame
            text = deltas[0].decode() if len(deltas) == 1 else json.dumps(merge([json.loads(d) for d in deltas]))
            self._broadcast(text)

    def _register(self, client: Client) -> None:
        client.sock.setblocking(False)
        with self._lock:
            self.clients.add(client)
        self._selector.register(client.sock, selectors.EVENT_READ, client)
        self._send(client, json.dumps({"type": "hello", "server_time": _now_ms()}))

    def _broadcast(self, text: str) -> None:
        for client in list(self.clients):
            self._send(client, text)

    def _send(self, client: Client, text: str) -> None:
        try:
            client.out += client.ws.send(TextMessage(data=text))
        except LocalProtocolError:  # already closing
            return
        client.last_sent = time.monotonic()
        if len(client.out) > MAX_PENDING:
            self._drop(client, "client too slow")
            return
        self._flush(client)

    def _flush(self, client: Client) -> None:
        try:
            sent = client.sock.send(client.out) if client.out else 0
        except BlockingIOError:
            sent = 0
        except OSError:
            self._drop(client, "send failed")
            return
        del client.out[:sent]
        if client in self.clients:
            events = selectors.EVENT_READ | (selectors.EVENT_WRITE if client.out else 0)
            self._selector.modify(client.sock, events, client)

    def _read(self, client: Client) -> None:
        try:
            data = client.sock.recv(65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._drop(client, "client went away")
            return
        try:
            client.ws.receive_data(data)
            events = list(client.ws.events())
        except (LocalProtocolError, RemoteProtocolError):
            self._drop(client, "protocol error")
            return
        for event in events:
            if isinstance(event, CloseConnection):
                client.out += client.ws.send(event.response())
                self._flush(client)
                self._drop(client, "client closed")
                return
            if isinstance(event, Ping):
                client.out += client.ws.send(event.response())
        self._flush(client)

    def _ping_idle(self) -> None:
        idle = time.monotonic() - PING_SECONDS
        for client in [c for c in self.clients if c.last_sent < idle]:
            self._send(client, json.dumps({"type": "ping", "server_time": _now_ms()}))

    def _close(self, client: Client, code: int, reason: str) -> None:
        with contextlib.suppress(OSError, LocalProtocolError):  # a best effort: the socket goes either way
            client.out += client.ws.send(CloseConnection(code=code, reason=reason))
            client.sock.setblocking(True)
            client.sock.settimeout(0.5)  # the close frame must not stall the loop for long
            client.sock.sendall(bytes(client.out))
        self._drop(client, reason)

    def _drop(self, client: Client, why: str) -> None:
        with self._lock:
            if client not in self.clients:
                return
            self.clients.discard(client)
        self._selector.unregister(client.sock)
        # shutdown ends the connection itself: a server that still holds the socket (the development server's
        # request thread, waiting to finish its response) must not write after our close frame
        with contextlib.suppress(OSError):
            client.sock.shutdown(socket.SHUT_RDWR)
        client.sock.close()
        client.done.set()
        if self.on_close is not None:
            self.on_close(client)
        log.debug("realtime socket of %s closed: %s", client.owner, why)
