"""Writer capacity with and without the exact-search index (issue 14.5): how fast the workers empty a backlog.

    .venv/bin/python -m bench.drain [--seconds 30] [--rounds 2] [--variants gin,none,btree]

bench.ingest offers load through the web tier, which takes ~30K events/s on this box (2 cores); when the writers
keep up with that, its figure shows the web's limit, not what an index costs them. Here the real web tier first
accepts a backlog with no worker running (bench.ingest's load generator, batches of 100, ~30 s), then two real
workers start, and the time until every accepted event is committed (rows counted in the rollups) gives the writers'
events/s with the machine to themselves. Variants, alternated round by round on fresh databases: `gin` (0015, as
migrated), `none` (the search index dropped), `btree` (0014's three btrees instead, for the record).
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import time

import msgspec
import psutil
import psycopg
import redis

from bench.ingest import ADMIN_URL, SEARCH_INDEXES, _backlog, _committed, _load_process
from bench.stack import Stack, fresh_database

BTREES = ("CREATE INDEX email_events_to_address ON email_events (lower(to_address))",
          "CREATE INDEX email_events_from_address ON email_events (lower(from_address))",
          "CREATE INDEX email_events_message_id ON email_events (message_id) WHERE message_id IS NOT NULL")
VARIANTS = {"gin": (), "none": (), "btree": BTREES}


def _accept_backlog(args) -> int:
    """Post load for args.seconds with no worker running; the events accepted (202)."""
    results = mp.Queue()
    loaders = [mp.Process(target=_load_process, args=(args.port, args.rate / 2, 100, args.seconds, p, 16, results))
               for p in range(2)]
    for p in loaders:
        p.start()
    accepted = sum(results.get().get(202, 0) for _ in loaders)
    for p in loaders:
        p.join()
    return accepted


def _cpu_by_pid(stack: Stack) -> dict[int, tuple[str, float]]:
    """CPU seconds so far of every worker and PostgreSQL process, by pid (backends come and go with connections)."""
    out = {}
    for role in ("workers", "postgres"):
        for proc in stack.groups()[role]:
            with contextlib.suppress(psutil.NoSuchProcess):
                t = proc.cpu_times()
                out[proc.pid] = (role, t.user + t.system)
    return out


def _cores(before: dict, after: dict, wall: float) -> dict[str, float]:
    """Cores used per role between two _cpu_by_pid readings (a process new since `before` counts from zero)."""
    used = {"workers": 0.0, "postgres": 0.0}
    for pid, (role, seconds) in after.items():
        used[role] += seconds - before.get(pid, (role, 0.0))[1]
    return {role: round(seconds / wall, 2) for role, seconds in used.items()}


def run(variant: str, args) -> dict:
    """One drain: a fresh stack with the variant's indexes, a backlog accepted, then timed to committed."""
    db_url = fresh_database(ADMIN_URL, "mailflow_bench_drain")
    stack = Stack(db_url, "redis://127.0.0.1:6379/14", args.port, 0, 2, {"WRITE_BATCH_MAX": "5000"})
    stack.start()
    r, db = redis.Redis.from_url("redis://127.0.0.1:6379/14"), psycopg.connect(db_url, autocommit=True)
    try:
        if variant != "gin":
            db.execute("DROP INDEX " + ", ".join(SEARCH_INDEXES))
        for statement in VARIANTS[variant]:
            db.execute(statement)
        accepted = _accept_backlog(args)
        db.execute("CHECKPOINT")  # the backlog's own writes are not the writers' to pay for
        stack.add_workers(2)
        cpu0, t0 = _cpu_by_pid(stack), time.time()
        while _committed(db) < accepted:
            time.sleep(0.2)
        wall, cpu1 = time.time() - t0, _cpu_by_pid(stack)
        return {"variant": variant, "accepted": accepted, "drain_seconds": round(wall, 1),
                "events_per_s": round(accepted / wall), "left_in_redis": _backlog(r),
                "cpu_cores": _cores(cpu0, cpu1, wall)}
    finally:
        db.close()
        stack.stop()


def main() -> None:
    """Command line entry point; prints each run and the loss of each variant against `none` as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30, help="how long the backlog is posted")
    parser.add_argument("--rate", type=float, default=35_000, help="offered events/s while posting it")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--variants", default="gin,none,btree")
    parser.add_argument("--port", type=int, default=8097)
    args = parser.parse_args()
    names = args.variants.split(",")
    runs = [run(name, args) for _ in range(args.rounds) for name in names]
    for one in runs:
        print(msgspec.json.encode(one).decode(), flush=True)
    mean = {n: sum(x["events_per_s"] for x in runs if x["variant"] == n) / args.rounds for n in names}
    if "none" in mean:
        print(msgspec.json.encode({f"loss_{n}_pct": round(100 * (1 - mean[n] / mean["none"]), 1)
                                   for n in names if n != "none"} | {"mean_events_per_s": mean}).decode())


if __name__ == "__main__":
    main()
