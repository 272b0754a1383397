"""A simulated ZoneMTA node API for the demo: the routes and JSON shapes of ZoneMTA's API server (lib/api-server.js,
see shared/reference/zonemta.md section 3) that Mailflow's queue poller reads, over the queue the demo sender keeps.

`python -m tools.zonemta_sim --node mta-01 --port 12081 --state data/demo/queue.json`
Answers `/zones`, `/counter/:type/:zone` (an empty zone = every zone; the first key is "all", as ZoneMTA's is),
`/queued/:type/:zone` (queued | deferred; start, pageSize <= 1000, sort created|queued|id, order asc|desc) and
`/message/:id` (404 once nothing is queued). "Active" entries are those whose next attempt is due, "deferred" the
ones waiting, as in ZoneMTA. The queue is read from the state file the demo sender writes (tools/outbox.py).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from tools.outbox import iso

ZONES = ("bulk", "default", "transactional")


class NodeQueue:
    """One node's entries from the state file (re-read when it changes)."""

    def __init__(self, node: str, state: Path):
        self.node, self.state, self._mtime, self._entries = node, state, None, []

    def entries(self) -> list[dict]:
        """This node's queue entries (times in epoch ms)."""
        try:
            mtime = self.state.stat().st_mtime_ns
        except FileNotFoundError:
            return []
        if mtime != self._mtime:
            self._entries = json.loads(self.state.read_text())["nodes"].get(self.node, [])
            self._mtime = mtime
        return self._entries

    def split(self, now_ms: int) -> dict[str, list[dict]]:
        """Entries by list type: "queued" (due now: ZoneMTA's active) and "deferred" (next attempt later)."""
        lists: dict[str, list[dict]] = {"queued": [], "deferred": []}
        for entry in self.entries():
            lists["deferred" if entry["queued"] > now_ms else "queued"].append(entry)
        return lists


def counter(queue: NodeQueue, zone: str, now_ms: int) -> dict:
    """The /counter/:type/:zone answer."""
    answer: dict = {"zone": zone or "all"}
    for kind, list_type in (("active", "queued"), ("deferred", "deferred")):
        counts: dict[str, int] = {}
        for entry in queue.split(now_ms)[list_type]:
            if not zone or entry["zone"] == zone:
                counts[entry["zone"]] = counts.get(entry["zone"], 0) + 1
        answer[kind] = {"entries": [{"key": z, "value": n} for z, n in sorted(counts.items())],
                        "rows": sum(counts.values())}
    return answer


def listing(queue: NodeQueue, list_type: str, zone: str, params: dict[str, str], now_ms: int) -> dict:
    """The /queued/:type/:zone answer: one page of entries in ZoneMTA's shape."""
    list_type = list_type if list_type in ("queued", "deferred") else "queued"
    rows = [e for e in queue.split(now_ms)[list_type] if e["zone"] == zone]
    sort = params.get("sort") if params.get("sort") in ("created", "queued", "id") else "created"
    rows.sort(key=lambda e: e[sort], reverse=params.get("order", "desc") != "asc")
    start, size = int(params.get("start", 0)), min(int(params.get("pageSize", 1000)), 1000)
    page = [{"id": e["id"], "zone": e["zone"], "recipient": e["recipient"], "created": iso(e["created"]),
             "queued": iso(e["queued"]), "deferred": e["deferred"]} for e in rows[start:start + size]]
    return {"zone": zone, "type": list_type, "list": page}


class Handler(BaseHTTPRequestHandler):
    """Routes GET requests like ZoneMTA's restify server."""

    queue: NodeQueue

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        url = urlsplit(self.path)
        parts, params = url.path.strip("/").split("/"), {k: v[-1] for k, v in parse_qs(url.query).items()}
        now = int(time.time() * 1000)
        if parts == ["zones"]:
            return self._send(200, [{"name": z} for z in ZONES])
        if parts[0] == "counter" and len(parts) in (2, 3):
            return self._send(200, counter(self.queue, parts[2] if len(parts) == 3 else "", now))
        if parts[0] == "queued" and len(parts) == 3:
            return self._send(200, listing(self.queue, parts[1], parts[2], params, now))
        if parts[0] == "message" and len(parts) == 2:
            found = [e for e in self.queue.entries() if e["id"] == parts[1]]
            if found:
                return self._send(200, {"meta": {"id": parts[1]}, "messages": [
                    {"id": e["id"], "seq": "001", "zone": e["zone"], "recipient": e["recipient"],
                     "status": "DEFERRED" if e["queued"] > now else "QUEUED"} for e in found]})
            return self._send(404, {"error": "Selected message does not exist"})
        return self._send(404, {"code": "ResourceNotFound", "message": f"{url.path} does not exist"})

    def _send(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args) -> None:
        """Quiet: the poller asks every 10 s."""


def serve(node: str, port: int, state: Path, host: str = "127.0.0.1") -> ThreadingHTTPServer:
    """A server for one node (not yet serving: call serve_forever)."""
    handler = type("NodeHandler", (Handler,), {"queue": NodeQueue(node, state)})
    return ThreadingHTTPServer((host, port), handler)


def main(argv: list[str] | None = None) -> int:
    """Command line entry point: serve one node until stopped."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--node", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True)
    args = parser.parse_args(argv)
    server = serve(args.node, args.port, args.state)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
