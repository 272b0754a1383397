"""Exact search benchmark (issue 14.5): a whole address or Message-ID over 30 days of 10 million events.

    .venv/bin/python -m bench.search             # loads bench.query_data's data set if missing, then times
    .venv/bin/python -m bench.search --no-write  # print only

Applies the migrations (with --rebuild-indexes, 0015_search_gin's index is dropped and its build timed),
picks terms from the data (a rare recipient, the same in upper case, the busiest sender address, an inbound sender,
a Message-ID with and without <>, an address that never occurs) and times `events?range=30d&q=<term>` through the
real app's test client (routing, validation, SQL, JSON; no socket): 2 warm-up + N rounds interleaved, p50 / p95 ms.
A 7-day substring search is timed beside it for contrast. Writes "## Exact search (issue 14.5)" to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import text

from bench import query_data
from bench.ingest import SEARCH_INDEXES
from bench.queries import app_client, p50_p95, request_ms, write_results
from store import db, migrate

HEADING = "## Exact search (issue 14.5)"
MIGRATION = Path(__file__).resolve().parents[1] / "sql" / "migrations" / "0015_search_gin.sql"
TARGET_MS = 50.0
TERMS = {  # label -> SQL picking the term from the data set
    "rare recipient": "SELECT to_address FROM email_events WHERE direction = 'outbound' "
                      "AND ts > now() - interval '20 days' LIMIT 1",
    "busiest sender": "SELECT from_address FROM email_events WHERE ts > now() - interval '1 day' "
                      "GROUP BY 1 ORDER BY count(*) DESC LIMIT 1",
    "inbound sender, ~40 a day": "SELECT from_address FROM email_events WHERE direction = 'inbound' "
                                 "AND ts > now() - interval '1 day' GROUP BY 1 HAVING count(*) BETWEEN 30 AND 60 "
                                 "ORDER BY 1 LIMIT 1",
    "Message-ID, 20 days old": "SELECT message_id FROM email_events WHERE message_id IS NOT NULL "
                               "AND ts BETWEEN now() - interval '21 days' AND now() - interval '20 days' LIMIT 1",
}


def terms(conn) -> dict[str, str]:
    """The searched terms by label, picked from the data."""
    out = {label: conn.execute(text(sql)).scalar_one() for label, sql in TERMS.items()}
    out["rare recipient, upper case"] = out["rare recipient"].upper()
    out["Message-ID without <>"] = out["Message-ID, 20 days old"].strip("<>")
    out["address never seen"] = "nobody@nowhere.invalid"
    return out


def count(conn, term: str) -> int:
    """How many events a term matches over the whole data set (for the table)."""
    return conn.execute(text("SELECT count(*) FROM email_events WHERE lower(to_address) = lower(:t) "
                             "OR lower(from_address) = lower(:t) OR message_id IN (:t, '<' || :t || '>')"),
                        {"t": term}).scalar_one()


def time_cells(client, cells: dict[str, str], repeat: int) -> dict[str, tuple[float, float]]:
    """p50 / p95 per cell: 2 warm-up rounds, then `repeat` rounds over all cells, interleaved."""
    samples: dict[str, list[float]] = {label: [] for label in cells}
    for round_no in range(repeat + 2):
        for label, path in cells.items():
            elapsed = request_ms(client, path)
            if round_no >= 2:
                samples[label].append(elapsed)
    return {label: p50_p95(values) for label, values in samples.items()}


def build_indexes(engine, rebuild: bool) -> float | None:
    """Apply pending migrations; with rebuild, drop 0015's index and time building it again (with ANALYZE)."""
    migrate.migrate(engine)
    if not rebuild:
        return None
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP INDEX IF EXISTS " + ", ".join(SEARCH_INDEXES))
    started = time.monotonic()
    raw = engine.raw_connection()  # the file as the migration runs it: several statements, no bind parameters
    try:
        raw.cursor().execute(MIGRATION.read_text())
        raw.commit()
    finally:
        raw.close()
    return time.monotonic() - started


def section(results: dict, found: dict, events: int, build_s: float | None, repeat: int, loads: tuple) -> str:
    """The RESULTS.md section."""
    built = (f"built (with ANALYZE) in {build_s:.0f} s on the loaded table" if build_s
             else "built by the migration (not timed: run with --rebuild-indexes)")
    lines = [HEADING, "",
             f"Machine: 2 cores, 24 GiB RAM, PostgreSQL 15 (default config), date {dt.date.today().isoformat()}. "
             f"Data: {events:,} events over 30 days (bench.query_data). Index of 0015_search_gin: {built}.", "",
             f"How: `python -m bench.search`; `GET /api/v1/email/events?range=30d&q=<term>` (first page, 50 events) "
             f"through the real app's test client, 2 warm-up + {repeat} rounds interleaved, wall ms p50 / p95. "
             f"Target: < {TARGET_MS:.0f} ms. Load average (1 min) at start / end: {loads[0][0]:.1f} / "
             f"{loads[1][0]:.1f}.", "",
             "| search | events matched (30 d) | p50 ms | p95 ms |", "|---|---|---|---|"]
    for label, (p50, p95) in results.items():
        lines.append(f"| {label} | {found.get(label, '')} | {p50:.1f} | {p95:.1f} |")
    return "\n".join(lines + [""])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--url", default=query_data.DATABASE_URL)
    parser.add_argument("--no-write", action="store_true", help="print only; leave bench/RESULTS.md alone")
    parser.add_argument("--rebuild-indexes", action="store_true", help="drop 0015's index and time its build")
    args = parser.parse_args()
    query_data.load(url=args.url)
    engine = db.init_engine(query_data.settings(args.url))
    build_s = build_indexes(engine, args.rebuild_indexes)
    with engine.connect() as conn:
        picked = terms(conn)
        found = {label: f"{count(conn, term):,}" for label, term in picked.items()}
        events = int(conn.execute(text("SELECT sum(events) FROM email_stats_1d")).scalar_one())
    cells = {f"exact: {label}": f"/api/v1/email/events?range=30d&q={quote(term)}" for label, term in picked.items()}
    cells["substring 'user1234', 7 d (for contrast)"] = "/api/v1/email/events?range=7d&q=user1234"
    found = {f"exact: {label}": n for label, n in found.items()}
    client = app_client(args.url)
    loads = [os.getloadavg()]
    results = time_cells(client, cells, args.repeat)
    loads.append(os.getloadavg())
    text_out = section(results, found, events, build_s, args.repeat, tuple(loads))
    print(text_out)
    if not args.no_write:
        write_results(text_out, HEADING)


if __name__ == "__main__":
    main()
