"""RQ jobs around the buffer: starting a drain of one priority class, and the dead letters (jobs left in the
failed-job registries) counted and re-queued, for the admin page, /metrics, /healthz and
`python -m workers requeue-failed`.
"""

from __future__ import annotations

from collections.abc import Iterable

import redis
import rq

from pipeline.vocabulary import ALL_QUEUES, QUEUES

DRAIN_JOB = "workers.tasks.drain_events"
DRAIN_TIMEOUT = 300  # seconds; a drain yields its worker after a few seconds anyway


def start_drain(conn: redis.Redis, cls: str) -> None:
    """Enqueue a drain of one priority class on that class's queue (the caller holds or just set its flag)."""
    rq.Queue(QUEUES[cls], connection=conn).enqueue(DRAIN_JOB, cls, job_timeout=DRAIN_TIMEOUT)


def dead_letters(conn: redis.Redis, names: Iterable[str] = ALL_QUEUES) -> dict[str, int]:
    """Failed jobs per queue name."""
    return {name: rq.Queue(name, connection=conn).failed_job_registry.count for name in names}


def requeue_failed(conn: redis.Redis) -> int:
    """Move every failed job of every queue back to its queue; return how many."""
    total = 0
    for name in ALL_QUEUES:
        registry = rq.Queue(name, connection=conn).failed_job_registry
        for job_id in registry.get_job_ids():
            registry.requeue(job_id)
            total += 1
    return total
