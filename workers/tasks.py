"""RQ jobs of the write path and upkeep: drain a class buffer in batches, write a batch, kick stalled drains,
maintain partitions and retention. Each job opens its own connections through workers.context.
"""

from __future__ import annotations

import logging
import time

import rq
from rq import Retry

from pipeline import buffer, deltas, jobs, telemetry
from store import events, health
from workers import context

log = logging.getLogger(__name__)
DRAIN_SECONDS = 2.0  # then yield the worker, re-enqueued at the back of this class's queue


def write_and_publish(rows: list) -> int:
    """Write one batch in one transaction (events + rollups), then publish its delta; return the new-row count."""
    settings, engine = context.settings(), context.engine()
    started = time.monotonic()
    new = events.write_batch(engine, rows, settings.spam_threshold)
    try:
        pipe = context.redis_conn().pipeline(transaction=False)
        telemetry.record_write(pipe, len(rows), time.monotonic() - started, new)
        deltas.publish(context.redis_conn(), new, pipe=pipe)
    except Exception:  # the commit stands; a missed live delta only delays the counters until the next refresh
        log.exception("could not publish the realtime delta and the write statistics")
    return len(new)


def write_events(rows: list) -> int:
    """A batch handed over after a failed write: RQ retries it with backoff, then keeps it as a dead letter."""
    return write_and_publish(rows)


def _hand_over(cls: str, rows: list, exc: Exception) -> None:
    settings = context.settings()
    log.warning("writing %d %s-priority events failed (%s); handing them to a retrying job", len(rows), cls, exc)
    intervals = list(settings.write_retry_intervals)
    queue = rq.Queue(buffer.QUEUES[cls], connection=context.redis_conn())
    queue.enqueue("workers.tasks.write_events", rows, retry=Retry(max=len(intervals), interval=intervals),
                  job_timeout=600, failure_ttl=30 * 86400, description=f"write {len(rows)} {cls} events")


def _claim(conn, cls: str):
    """Claim the high-priority rows first, then this drain's own class, then the rest, as one batch.

    A busy drain must not keep bounces waiting, and normal must not starve low (measured: stealing from every
    higher class before its own pushed the delivered events' lag p99 to ~3 s at 10K events/s). One claim spanning
    the classes keeps transactions large: a drain that claimed only the trickle of bounces made every other
    transaction ~100 events, and writers committed 7.7K events/s with 25K offered."""
    settings = context.settings()
    order = list(dict.fromkeys(("high", cls, *buffer.QUEUES)))
    return buffer.claim(conn, order, settings.write_batch_max, settings.write_lease_seconds)


def drain_events(cls: str) -> int:
    """Write the class buffer in batches until it is empty or the time slice is used; return rows written."""
    conn = context.redis_conn()
    deadline, written = time.monotonic() + DRAIN_SECONDS, 0
    while True:
        claim = _claim(conn, cls)
        if claim is None:
            if not buffer.settle(conn, cls):
                return written
            continue
        buffer.refresh_flag(conn, cls)
        try:
            written += write_and_publish(claim.rows)
        except Exception as exc:  # any failure: back to the buffer or on to a retrying job; never lost or stuck here
            if not health.database_up(context.engine()):
                # PostgreSQL is away: handing batches over would turn the whole buffer into retrying jobs and,
                # after the last retry, dead letters. Keep the rows buffered instead and back off: the drain flag
                # stays set until it lapses (FLAG_TTL), then the next kick or push starts a new drain.
                claim.release()
                log.warning("database unavailable (%s); %d %s-priority events stay buffered", exc,
                            len(claim.rows), claim.classes)
                return written
            _hand_over(claim.parts[0][0], claim.rows, exc)
        claim.ack()
        if time.monotonic() > deadline:
            jobs.start_drain(conn, cls)
            return written


def kick() -> dict:
    """Recover batches of dead writers and start a drain for any class with a backlog but no drain pending."""
    conn = context.redis_conn()
    recovered = buffer.recover(conn)
    started = []
    for cls, length in buffer.backlog(conn).items():
        if length and conn.set(buffer.flag_key(cls), "1", nx=True, ex=buffer.FLAG_TTL):
            jobs.start_drain(conn, cls)
            started.append(cls)
    if recovered or started:
        log.info("kick: recovered %d buffered elements, started drains for %s", recovered, started or "none")
    return {"recovered": recovered, "started": started}
