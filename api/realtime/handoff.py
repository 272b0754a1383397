"""Taking a WebSocket away from the web server that accepted it, so the request's thread can return to the pool.

simple-websocket (under flask-sock) would start a reader thread per socket and keep the request thread busy for
the socket's life; `NoThread` keeps it from starting one, and the hub reads instead. Under gunicorn, `release`
gives the hub its own descriptor of the connection and leaves gunicorn a dead socketpair end in place of its own:
when the handler returns, gunicorn closes (and half-closes) that dummy, not the live connection. This is done
only for plain-TCP sockets; a TLS socket terminated by gunicorn itself stays with its request thread.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl

from wsproto.events import CloseConnection


class NoThread:
    """Stands in for simple-websocket's reader thread: the hub reads every socket from its own loop."""

    def __init__(self, target=None, **_kwargs):
        self.name = "realtime-hub-managed"

    def start(self) -> None:
        """Nothing to start."""


def release(ws, client) -> bool:
    """Point `client.sock` at a descriptor of its own and detach the server's; True when the request thread may
    return at once (gunicorn), False when it must wait for the socket to close (any other server)."""
    ws.connected = False  # flask-sock closes the socket after the handler unless it looks closed already
    sock = ws.sock
    if ws.mode != "gunicorn" or isinstance(sock, ssl.SSLSocket):
        return False
    client.sock = sock.dup()
    dummy, peer = socket.socketpair()
    peer.close()
    os.dup2(dummy.fileno(), sock.fileno())
    dummy.close()
    return True


def refuse(ws, code: int, reason: str) -> None:
    """Close a freshly accepted socket with a code and a reason the browser can show."""
    with contextlib.suppress(OSError):  # the client may be gone already
        ws.sock.sendall(ws.ws.send(CloseConnection(code=code, reason=reason)))
    ws.connected = False  # the server closes the connection when the handler returns
