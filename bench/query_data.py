"""The query benchmark's data set: 10 million events over 30 days in a database of its own (never the test one).

Events come from tools.traffic and go through the same code as the live write path, minus HTTP and Redis:
ingest.schema.parse_events (validation + derived fields) -> store.events.insert_events -> store.rollups.apply, in
one transaction per batch of BATCH rows, so the rollups are filled exactly as the workers fill them. The 30 days
are loaded one day per task by two processes (2 cores); finished days are recorded in bench_progress and the time
anchor in bench_meta, so an interrupted load resumes where it stopped, and a complete one is skipped.
"""

from __future__ import annotations

import argparse
import logging
import math
import multiprocessing
import time

import msgspec
import psycopg
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import Settings
from ingest import schema
from store import db, events, migrate
from tools.traffic import Generator

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/mailflow_bench_queries"
DAYS = 30
DAY_MS = 86_400_000
EVENTS_PER_MESSAGE = 2.103  # measured mean of tools.traffic (outbound + inbound mix)
BATCH = 20_000
log = logging.getLogger("bench.query_data")


def settings(url: str = DATABASE_URL) -> Settings:
    """Settings pointing at the benchmark database."""
    return Settings.from_env({"DATABASE_URL": url, "REDIS_URL": "redis://127.0.0.1:6379/14", "DB_POOL_SIZE": "4"})


def ensure_database(url: str = DATABASE_URL) -> None:
    """Create the benchmark database if missing, migrate it and add the bookkeeping tables."""
    name = make_url(url).database
    with psycopg.connect(ADMIN_URL, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    engine = db.init_engine(settings(url))
    migrate.migrate(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_meta (key text PRIMARY KEY, value text NOT NULL)"))
        conn.execute(text("CREATE TABLE IF NOT EXISTS bench_progress (day integer PRIMARY KEY, events bigint)"))


def anchor(total: int) -> int:
    """The end of the data set in epoch ms, fixed at the first load (so a resumed load regenerates the same days)."""
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO bench_meta VALUES ('end_ms', :v), ('total', :t) ON CONFLICT DO NOTHING"),
                     {"v": str(int(time.time() * 1000)), "t": str(total)})
        return int(conn.execute(text("SELECT value FROM bench_meta WHERE key = 'end_ms'")).scalar_one())


def _write(rows: list) -> int:
    # the workers' own transaction (events + rollups), with more deadlock retries: two loaders write the same hours
    return len(events.write_batch(db.engine(), rows, attempts=5))


def load_day(task: tuple[int, int, int, str]) -> tuple[int, int]:
    """Generate and write one day of the data set; return (day, new events written)."""
    day, end_ms, messages, url = task
    db.init_engine(settings(url))
    start = end_ms - (DAYS - day) * DAY_MS
    gen = Generator(seed=1000 + day)
    # time order, as live traffic arrives: a batch then touches few rollup rows (random order touches them all)
    day_events = sorted((e for msg in gen.messages(start, start + DAY_MS, messages) for e in msg
                         if e["timestamp"] <= end_ms), key=lambda e: e["timestamp"])
    written = sum(_flush(day_events[i:i + BATCH], end_ms) for i in range(0, len(day_events), BATCH))
    with db.engine().begin() as conn:
        conn.execute(text("INSERT INTO bench_progress VALUES (:d, :n) ON CONFLICT (day) DO NOTHING"),
                     {"d": day, "n": written})
    return day, written


def _flush(batch: list[dict], end_ms: int) -> int:
    if not batch:
        return 0
    rows, rejected = schema.parse_events(msgspec.json.encode(batch), max_events=len(batch), retention_days=3650,
                                         now_ms=end_ms + 60_000)
    if rejected:
        raise RuntimeError(f"generator produced invalid events: {rejected[:3]}")
    return _write(rows)


def load(total: int = 10_000_000, processes: int = 2, url: str = DATABASE_URL) -> None:
    """Load whatever days are missing; ANALYZE afterwards."""
    ensure_database(url)
    end_ms = anchor(total)
    with db.engine().connect() as conn:
        done = set(conn.execute(text("SELECT day FROM bench_progress")).scalars())
    messages = math.ceil(total / DAYS / EVENTS_PER_MESSAGE)
    todo = [(day, end_ms, messages, url) for day in range(DAYS) if day not in done]
    log.info("%d of %d days to load (%d messages per day)", len(todo), DAYS, messages)
    started = time.monotonic()
    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        for day, written in pool.imap_unordered(load_day, todo):
            log.info("day %d: %d events (%.0f s)", day, written, time.monotonic() - started)
    if todo:
        with db.engine().connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))  # the steady state autovacuum keeps: no upsert bloat


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--url", default=DATABASE_URL)
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    load(args.events, args.processes, args.url)


if __name__ == "__main__":
    main()
