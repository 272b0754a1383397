"""Ingest benchmark: the real HTTP endpoint under open-loop load, the real workers writing to PostgreSQL.

    .venv/bin/python -m bench.ingest --rate 10000 --batch 100 --seconds 60

A separate load process pool posts batches at a fixed total rate over keep-alive connections; every event gets a
fresh id and its send time as timestamp. Reports committed events/s (rows in PostgreSQL, read from the rollups),
the backlog when the load stops, POST->insert latency p50/p99 (ingested_at - timestamp over the stored rows), and
the CPU split between web, workers, PostgreSQL, Redis and the load generator.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing as mp
import resource
import threading
import time

import msgspec
import psycopg
import redis

from bench.stack import BENCH_KEY, Stack, cpu_seconds, fresh_database
from pipeline import buffer
from tools.traffic import Generator

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
SEARCH_INDEXES = ("email_events_search",)


def _templates(seed: int, n: int = 20_000) -> list[dict]:
    gen, out = Generator(seed), []
    while len(out) < n:
        out += gen.outbound(0) if gen.rng.random() > 0.25 else gen.inbound(0)
    return out


_K, _NOW = b"K_SLOT", b"1111111111111"


def _bodies(proc: int, thread: int, batch: int) -> list[bytes]:
    """Encoded batches with two slots, the request number and the send time, filled in per request by a bytes
    replace: the load generator shares the 2 cores with what it measures, so it must cost as little as it can."""
    templates = _templates(proc * 100 + thread)
    return [msgspec.json.encode([dict(t, event_id=f"p{proc}t{thread}k{_K.decode()}i{i}", timestamp=int(_NOW))
                                 for i, t in enumerate(templates[base:base + batch])])
            for base in range(0, len(templates) - batch, batch)]


def _sender(port: int, rate: float, batch: int, seconds: float, proc: int, thread: int, stats: dict) -> None:
    bodies, conn = _bodies(proc, thread, batch), http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {BENCH_KEY}"}
    interval, start, k = batch / rate, time.time(), 0
    while (due := start + k * interval) < start + seconds:
        if due > time.time():
            time.sleep(due - time.time())
        now_ms = b"%d" % int(time.time() * 1000)
        body = bodies[k % len(bodies)].replace(_K, b"%d" % k).replace(_NOW, now_ms)
        try:
            conn.request("POST", "/api/v1/events/ingest", body, headers)
            response = conn.getresponse()
            response.read()
            stats[response.status] = stats.get(response.status, 0) + batch
        except (OSError, http.client.HTTPException):
            stats["error"] = stats.get("error", 0) + batch
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        k += 1


def _load_process(port, rate, batch, seconds, proc, threads, queue) -> None:
    per_thread: list[dict] = [{} for _ in range(threads)]  # one dict per sender thread: no shared counters
    workers = [threading.Thread(target=_sender, args=(port, rate / threads, batch, seconds, proc, t, per_thread[t]))
               for t in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    stats: dict = {}
    for part in per_thread:
        for k, v in part.items():
            stats[k] = stats.get(k, 0) + v
    usage = resource.getrusage(resource.RUSAGE_SELF)
    stats["cpu"] = usage.ru_utime + usage.ru_stime
    queue.put(stats)


def _committed(db) -> int:
    return int(db.execute("SELECT coalesce(sum(events), 0) FROM email_stats_1d").fetchone()[0])


def _backlog(r) -> int:
    return sum(buffer.backlog(r).values())


def run(args) -> dict:
    """Run one benchmark configuration and return its figures."""
    db_url = fresh_database(ADMIN_URL, "mailflow_bench_ingest")
    redis_url = "redis://127.0.0.1:6379/14"
    stack = Stack(db_url, redis_url, args.port, args.workers, args.web_workers,
                  {"WRITE_BATCH_MAX": str(args.write_batch)})
    stack.start()
    r, db = redis.Redis.from_url(redis_url), psycopg.connect(db_url, autocommit=True)
    if getattr(args, "without_search_indexes", False):  # issue 14.5 A/B: the write path without the search index
        db.execute("DROP INDEX " + ", ".join(SEARCH_INDEXES))
    try:
        groups, results = stack.groups(), mp.Queue()
        loaders = [mp.Process(target=_load_process, args=(args.port, args.rate / args.procs, args.batch,
                                                            args.seconds, p, args.threads, results))
                   for p in range(args.procs)]
        cpu0, t0 = cpu_seconds(groups), time.time()
        for p in loaders:
            p.start()
        timeline = []
        while any(p.is_alive() for p in loaders):
            time.sleep(5)
            timeline.append((round(time.time() - t0), _committed(db), _backlog(r)))
            print(f"  t={timeline[-1][0]:>4}s committed={timeline[-1][1]:>9} backlog_elements={timeline[-1][2]}",
                  flush=True)
        wall, cpu1 = time.time() - t0, cpu_seconds(groups)
        stats: dict = {"cpu": 0.0}
        for _ in loaders:
            for k, v in results.get().items():
                stats[k] = stats.get(k, 0) + v
        backlog_at_stop, committed_at_stop = _backlog(r), _committed(db)
        while _backlog(r) or r.zcard(buffer.PROCS):
            time.sleep(0.5)
        time.sleep(1)
        lat = db.execute("SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP"
                         " (ORDER BY d) FROM (SELECT extract(epoch FROM ingested_at - ts) * 1000 AS d"
                         " FROM email_events) x").fetchone()
        steady = [row for row in timeline if 10 <= row[0] <= args.seconds]
        rate = (steady[-1][1] - steady[0][1]) / (steady[-1][0] - steady[0][0]) if len(steady) > 1 else 0
        cpu = {k: round((cpu1[k] - cpu0[k]) / wall, 2) for k in cpu1}
        cpu["load"] = round(stats.pop("cpu") / wall, 2)
        return {"batch": args.batch, "offered_rate": args.rate, "seconds": args.seconds, "wall_seconds": round(wall, 1),
                "accepted": stats.get(202, 0), "accepted_per_s": round(stats.get(202, 0) / wall),
                "other_statuses": {k: v for k, v in stats.items() if k != 202}, "committed_total": _committed(db),
                "committed_at_stop": committed_at_stop, "sustained_committed_per_s": round(rate),
                "backlog_elements_at_stop": backlog_at_stop, "latency_ms_p50": round(lat[0] or 0, 1),
                "latency_ms_p99": round(lat[1] or 0, 1), "cpu_cores": cpu, "timeline": timeline}
    finally:
        db.close()
        stack.stop()


def load_arguments(description: str, seconds: float, port: int) -> argparse.ArgumentParser:
    """The command line shared by the load benchmarks (rate, batch, duration, process counts)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--rate", type=float, default=10_000, help="offered events/s in total")
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=seconds)
    parser.add_argument("--procs", type=int, default=2, help="load generator processes")
    parser.add_argument("--threads", type=int, default=8, help="connections per load process")
    parser.add_argument("--workers", type=int, default=2, help="RQ worker processes")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--port", type=int, default=port)
    return parser


def main() -> None:
    """Command line entry point; prints the figures as JSON."""
    parser = load_arguments(__doc__.splitlines()[0], 60, 8099)
    parser.add_argument("--write-batch", type=int, default=5000, help="max events per write transaction")
    parser.add_argument("--without-search-indexes", action="store_true",
                        help="drop the search index (0015) first (the baseline of its write cost)")
    result = run(parser.parse_args())
    print(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())


if __name__ == "__main__":
    main()
