"""What the exact-search indexes cost the write path (issue 14.5), measured where they cost it.

    .venv/bin/python -m bench.index_cost [--events 300000] [--rounds 2]

Two fresh databases, both migrated; in one the index of 0015_search_gin is dropped. The same generated events
(tools.traffic, time order, parsed by ingest.schema like the workers' input) are written to both with
store.events.write_batch (the workers' transaction: events, event ids, rollups) in batches of 5,000, alternating
database batch by batch, so a burst of load from other processes lands on both alike. Prints events/s for each and
the loss. The end-to-end figure is `bench.ingest` with and without `--without-search-indexes`.
"""

from __future__ import annotations

import argparse
import time

import msgspec
import psycopg

from bench.ingest import ADMIN_URL, SEARCH_INDEXES
from config import Settings
from ingest import schema
from store import db, events, migrate
from tools.traffic import Generator

BATCH = 5000


def database(name: str, drop: bool):
    """A fresh migrated database (without the search indexes when drop); its engine."""
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    engine = db.init_engine(Settings.from_env({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/14"}))
    migrate.migrate(engine)
    if drop:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("DROP INDEX " + ", ".join(SEARCH_INDEXES))
    return engine


def batches(total: int) -> list[list]:
    """About `total` generated events of the last hours as parsed row batches, in time order."""
    now = int(time.time() * 1000)
    gen = Generator(seed=7)
    evs = sorted((e for msg in gen.messages(now - 6 * 3_600_000, now, int(total / 2.1)) for e in msg),
                 key=lambda e: e["timestamp"])
    return [schema.parse_events(msgspec.json.encode(evs[i:i + BATCH]), max_events=BATCH, retention_days=30,
                                now_ms=now + 60_000)[0] for i in range(0, len(evs), BATCH)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=300_000)
    parser.add_argument("--rounds", type=int, default=2, help="fresh databases and a full pass per round")
    args = parser.parse_args()
    work = batches(args.events)
    total = {"with": 0.0, "without": 0.0}
    for _ in range(args.rounds):
        engines = {"with": database("mailflow_bench_idx_with", False),
                   "without": database("mailflow_bench_idx_without", True)}
        for rows in work:
            for name, engine in engines.items():
                started = time.perf_counter()
                events.write_batch(engine, rows)
                total[name] += time.perf_counter() - started
    n = sum(len(b) for b in work) * args.rounds
    for name, seconds in total.items():
        print(f"{name:>7} the search indexes: {n / seconds:8.0f} events/s ({n:,} events in {seconds:.1f} s)")
    print(f"write-path loss: {100 * (1 - total['without'] / total['with']):.1f} %")


if __name__ == "__main__":
    main()
