"""Isolation benchmark: ingest latency while dashboards hold many WebSockets and page callbacks run.

    .venv/bin/python -m bench.isolation --sockets 200 --posts 50

The Procfile's real processes (bench.stack) on a fresh database with a little history. One logged-in viewer opens
N sockets on /ws/email-flow; page threads keep calling the Outbound page's Dash callbacks (throughput and
per-node charts, 24 h) through /_dash-update-component as a browser does; meanwhile one client sends sequential ingest
POSTs of 10 events and records each answer's status and time. Prints p50/p99/max and the statuses.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import threading
import time

import msgspec
import requests
import websocket

from bench.ingest import _templates
from bench.stack import BENCH_KEY, Stack, fresh_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
CALLBACKS = [("outbound-throughput", "figure"), ("outbound-nodes", "figure")]


def _callback_body(output: str, prop: str) -> dict:
    inputs = [{"id": "url", "property": "search", "value": "?range=24h"},
              {"id": "shell-interval", "property": "n_intervals", "value": 0},
              {"id": "shell-theme", "property": "data", "value": "light"}]
    return {"output": f"{output}.{prop}", "outputs": {"id": output, "property": prop}, "inputs": inputs,
            "changedPropIds": ["url.search"], "state": []}


def _pages(port: int, cookie: str, stop: threading.Event, statuses: list) -> None:
    http_session = requests.Session()
    while not stop.is_set():
        for output, prop in CALLBACKS:
            answer = http_session.post(f"http://127.0.0.1:{port}/_dash-update-component", timeout=30,
                                       json=_callback_body(output, prop), headers={"Cookie": cookie})
            statuses.append(answer.status_code)


def _post(conn: http.client.HTTPConnection, body: bytes) -> tuple[int, float]:
    started = time.perf_counter()
    conn.request("POST", "/api/v1/events/ingest", body,
                 {"Content-Type": "application/json", "Authorization": f"Bearer {BENCH_KEY}"})
    response = conn.getresponse()
    response.read()
    return response.status, time.perf_counter() - started


def _history(port: int, templates: list[dict]) -> None:
    conn, now = http.client.HTTPConnection("127.0.0.1", port, timeout=30), int(time.time() * 1000)
    for k in range(0, 20_000, 500):
        events = [dict(t, event_id=f"h{k}-{i}", timestamp=now - (k * 4000 + i * 8) % 86_000_000)
                  for i, t in enumerate(templates[k % 10_000:k % 10_000 + 500])]
        _post(conn, msgspec.json.encode(events))


def run(args) -> dict:
    """One run; returns the ingest latency figures with the sockets and callbacks it ran beside."""
    stack = Stack(fresh_database(ADMIN_URL, "mailflow_bench_isolation"), "redis://127.0.0.1:6379/14", args.port,
                  args.workers, args.web_workers, {"WS_MAX_PER_USER": str(args.sockets)})
    stack.start()
    try:
        templates = _templates(3)
        _history(args.port, templates)
        cookie = stack.login()
        sockets = [websocket.create_connection(f"ws://127.0.0.1:{args.port}/ws/email-flow", cookie=cookie)
                   for _ in range(args.sockets)]
        hellos = sum(json.loads(ws.recv())["type"] == "hello" for ws in sockets)
        stop, page_statuses = threading.Event(), []
        pages = [threading.Thread(target=_pages, args=(args.port, cookie, stop, page_statuses))
                 for _ in range(args.page_threads)]
        for thread in pages:
            thread.start()
        time.sleep(2)  # callbacks are running before the first POST
        conn, now = http.client.HTTPConnection("127.0.0.1", args.port, timeout=30), int(time.time() * 1000)
        answers = [_post(conn, msgspec.json.encode([dict(t, event_id=f"iso{k}-{i}", timestamp=now)
                                                    for i, t in enumerate(templates[k * 10:k * 10 + 10])]))
                   for k in range(args.posts)]
        stop.set()
        for thread in pages:
            thread.join()
        for ws in sockets:
            ws.close()
        times = sorted(seconds * 1000 for _, seconds in answers)
        return {"sockets_open": hellos, "page_threads": args.page_threads, "callbacks_run": len(page_statuses),
                "callback_statuses": sorted(set(page_statuses)), "posts": len(answers),
                "statuses": sorted({status for status, _ in answers}),
                "p50_ms": round(statistics.median(times), 1),
                "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1), "max_ms": round(times[-1], 1)}
    finally:
        stack.stop()


def main() -> None:
    """Command line entry point; prints the figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sockets", type=int, default=200)
    parser.add_argument("--posts", type=int, default=50)
    parser.add_argument("--page-threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8096)
    print(msgspec.json.format(msgspec.json.encode(run(parser.parse_args())), indent=2).decode())


if __name__ == "__main__":
    main()
