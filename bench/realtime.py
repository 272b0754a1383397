"""Realtime benchmark: event POSTed -> delta on a real WebSocket, while the ingest benchmark's load runs.

    .venv/bin/python -m bench.realtime --rate 10000 --batch 100 --seconds 60

The Procfile's real processes (bench.stack) serve a logged-in WebSocket on /ws/email-flow. Beside the open-loop
load, a probe thread POSTs one event every 50 ms whose mta_node names the probe ("probe-<k>"); the probe's latency
is the time from starting its POST to the first delta on the socket that counts it. Probe types rotate through
delivered, received and bounced, so every priority class is measured. At the end it checks that the live counters
are exact: the sum of every delta's n equals the events in the rollups (Redis pub/sub channels are not scoped by
database number, so run it on a Redis no other Mailflow publishes to).
"""

from __future__ import annotations

import http.client
import json
import multiprocessing as mp
import statistics
import threading
import time

import msgspec
import psycopg
import websocket

from bench.ingest import _committed, _load_process, load_arguments
from bench.stack import BENCH_KEY, Stack, fresh_database

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
PROBE_TYPES = ("delivered", "received", "bounced")


def _listen(ws, arrived: dict, totals: list, stop: threading.Event) -> None:
    ws.settimeout(1)
    while not stop.is_set():
        try:
            message = json.loads(ws.recv())
        except websocket.WebSocketTimeoutException:
            continue
        if message["type"] != "delta":
            continue
        now = time.monotonic()
        totals.append(message["n"])
        for _direction, _type, node, _n in message["counts"]:
            if node.startswith("probe-"):
                arrived.setdefault(int(node[6:]), now)


def _probe(port: int, sent: dict, seconds: float, stop: threading.Event) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {BENCH_KEY}"}
    k, end = 0, time.monotonic() + seconds
    while time.monotonic() < end and not stop.is_set():
        event = {"event_id": f"probe-{k}", "event_type": PROBE_TYPES[k % 3], "direction": "outbound",
                 "timestamp": int(time.time() * 1000), "mta_node": f"probe-{k}", "to_address": "p@gmail.com"}
        sent[k] = time.monotonic()
        conn.request("POST", "/api/v1/events/ingest", msgspec.json.encode([event]), headers)
        conn.getresponse().read()
        k += 1
        time.sleep(0.05)


def _percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    ordered = sorted(values)
    return {"n": len(ordered), "p50_ms": round(statistics.median(ordered) * 1000, 1),
            "p99_ms": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000, 1),
            "max_ms": round(ordered[-1] * 1000, 1)}


def run(args) -> dict:
    """One run: load + probes + a socket; returns the latency figures and the exactness check."""
    db_url = fresh_database(ADMIN_URL, "mailflow_bench_realtime")
    stack = Stack(db_url, "redis://127.0.0.1:6379/14", args.port, args.workers, args.web_workers)
    stack.start()
    db = psycopg.connect(db_url, autocommit=True)
    try:
        ws = websocket.create_connection(f"ws://127.0.0.1:{args.port}/ws/email-flow", cookie=stack.login())
        arrived, sent, totals, stop = {}, {}, [], threading.Event()
        listener = threading.Thread(target=_listen, args=(ws, arrived, totals, stop))
        listener.start()
        loaders = [mp.Process(target=_load_process, args=(args.port, args.rate / args.procs, args.batch,
                                                            args.seconds, p, args.threads, mp.Queue()))
                   for p in range(args.procs)]
        for p in loaders:
            p.start()
        time.sleep(5)  # measure the steady state, not the stack's warm-up
        _probe(args.port, sent, args.seconds - 10, stop)
        for p in loaders:
            p.join()
        deadline = time.monotonic() + 120
        while (sum(totals) < _committed(db) or len(arrived) < len(sent)) and time.monotonic() < deadline:
            time.sleep(0.5)
        stop.set()
        listener.join()
        ws.close()
        latencies = {t: [arrived[k] - sent[k] for k in sent if k in arrived and k % 3 == i]
                     for i, t in enumerate(PROBE_TYPES)}
        return {"offered_rate": args.rate, "batch": args.batch, "seconds": args.seconds,
                "probes_sent": len(sent), "probes_seen": len(arrived),
                "all": _percentiles([v for vs in latencies.values() for v in vs]),
                **{t: _percentiles(vs) for t, vs in latencies.items()},
                "delta_events": sum(totals), "rollup_events": _committed(db)}
    finally:
        db.close()
        stack.stop()


def main() -> None:
    """Command line entry point; prints the figures as JSON."""
    args = load_arguments(__doc__.splitlines()[0], 60, 8098).parse_args()
    print(msgspec.json.format(msgspec.json.encode(run(args)), indent=2).decode())


if __name__ == "__main__":
    main()
