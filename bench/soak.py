"""Soak benchmark: the real stack (bench/stack.py) under a steady open-loop load for a long time.

    .venv/bin/python -m bench.soak --rate 10000 --batch 100 --seconds 600

Every 30 s it prints committed events/s, the buffered events (per class), and the RSS of the web and worker
process groups; at the end it computes the event->commit lag (ingested_at - ts) p50/p99 per 30 s window of event
time from the stored rows. Pass criteria (issue 8): no backlog growth, lag p99 < 2 s, RSS growth < 10 %.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import time

import msgspec
import psutil
import psycopg
import redis

from bench.ingest import ADMIN_URL, _committed, _load_process, load_arguments
from bench.stack import Stack, fresh_database
from pipeline import telemetry

WINDOW = 30


def _rss_mb(stack: Stack) -> dict[str, float]:
    """Resident memory of the web and worker process groups (children included), in MiB."""
    out = {}
    for role, procs in stack.groups().items():
        if role in ("web", "workers"):
            total = 0
            for proc in procs:
                with contextlib.suppress(psutil.NoSuchProcess):  # a process that ended has no memory to count
                    total += proc.memory_info().rss
            out[role] = round(total / 2**20, 1)
    return out


def _buffered(r: redis.Redis) -> dict[str, int]:
    return {k.decode(): int(v) for k, v in r.hgetall(telemetry.BUFFERED).items()}


def _lag_by_window(db, t0: float) -> list[tuple[int, int, float, float]]:
    """(window start s, events, lag p50 ms, lag p99 ms) per WINDOW of event time, from the stored rows."""
    rows = db.execute(
        "SELECT floor((extract(epoch FROM ts) - %s) / %s)::int AS w, count(*),"
        " percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - ts)),"
        " percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM ingested_at - ts))"
        " FROM email_events GROUP BY 1 ORDER BY 1", (t0, WINDOW)).fetchall()
    return [(w * WINDOW, n, round(p50 * 1000, 1), round(p99 * 1000, 1)) for w, n, p50, p99 in rows]


def _lag_overall(db) -> tuple[float, float]:
    p50, p99 = db.execute(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY d), percentile_cont(0.99) WITHIN GROUP (ORDER BY d)"
        " FROM (SELECT extract(epoch FROM ingested_at - ts) * 1000 AS d FROM email_events) x").fetchone()
    return round(p50 or 0, 1), round(p99 or 0, 1)


def _sample(stack, r, db, t0, timeline, last) -> tuple[int, float]:
    now, committed = time.time(), _committed(db)
    rate = (committed - last[0]) / (now - last[1])
    row = {"t": round(now - t0), "committed_per_s": round(rate), "buffered": _buffered(r), "rss_mb": _rss_mb(stack)}
    timeline.append(row)
    print(f"  t={row['t']:>4}s {row['committed_per_s']:>6} ev/s  buffered={row['buffered']}  rss={row['rss_mb']}",
          flush=True)
    return committed, now


def run(args) -> dict:
    """Run the soak and return its figures."""
    db_url = fresh_database(ADMIN_URL, "mailflow_bench_soak")
    redis_url = "redis://127.0.0.1:6379/14"
    stack = Stack(db_url, redis_url, args.port, args.workers, args.web_workers)
    stack.start()
    r, db = redis.Redis.from_url(redis_url), psycopg.connect(db_url, autocommit=True)
    try:
        results = mp.Queue()
        loaders = [mp.Process(target=_load_process, args=(args.port, args.rate / args.procs, args.batch,
                                                            args.seconds, p, args.threads, results))
                   for p in range(args.procs)]
        rss_start, t0 = _rss_mb(stack), time.time()
        for p in loaders:
            p.start()
        timeline, last = [], (0, t0)
        while any(p.is_alive() for p in loaders):
            time.sleep(max(0.0, t0 + WINDOW * (len(timeline) + 1) - time.time()))
            last = _sample(stack, r, db, t0, timeline, last)
        stats: dict = {}
        for _ in loaders:
            for k, v in results.get().items():
                stats[k] = stats.get(k, 0) + v
        while sum(_buffered(r).values()) > 0:
            time.sleep(0.5)
        time.sleep(1)
        rss_end = _rss_mb(stack)
        warm = timeline[1]["rss_mb"] if len(timeline) > 1 else rss_start
        p50, p99 = _lag_overall(db)
        return {"offered_rate": args.rate, "batch": args.batch, "seconds": args.seconds,
                "accepted": stats.get(202, 0),
                "other_statuses": {k: v for k, v in stats.items() if k not in (202, "cpu")},
                "committed_total": _committed(db), "lag_ms_p50": p50, "lag_ms_p99": p99,
                "rss_mb_start": rss_start, "rss_mb_after_60s": warm, "rss_mb_end": rss_end,
                "rss_growth_pct_from_60s": {k: round(100 * (rss_end[k] - warm[k]) / warm[k], 1) for k in rss_end},
                "timeline": timeline, "lag_by_window": _lag_by_window(db, t0)}
    finally:
        db.close()
        stack.stop()


def main() -> None:
    """Command line entry point; prints the figures as JSON."""
    result = run(load_arguments(__doc__.splitlines()[0], 600, 8098).parse_args())
    print(msgspec.json.format(msgspec.json.encode(result), indent=2).decode())


if __name__ == "__main__":
    main()
