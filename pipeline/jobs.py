"""Dead letters: jobs left in the RQ failed-job registries of the event and maintenance queues, counted and
re-queued for the admin page (the same operation as `python -m workers requeue-failed`).
"""

from __future__ import annotations

import redis
import rq

from pipeline import buffer

QUEUE_NAMES = ["maintenance", *buffer.QUEUES.values()]


def counts(conn: redis.Redis) -> dict[str, int]:
    """Failed jobs per queue name."""
    return {name: rq.Queue(name, connection=conn).failed_job_registry.count for name in QUEUE_NAMES}


def requeue_all(conn: redis.Redis) -> int:
    """Move every failed job back to its queue; return how many."""
    total = 0
    for name in QUEUE_NAMES:
        registry = rq.Queue(name, connection=conn).failed_job_registry
        for job_id in registry.get_job_ids():
            registry.requeue(job_id)
            total += 1
    return total
