"""Worker command line: `python -m workers worker` runs a non-forking RQ worker on the maintenance queue and the event
queues (in priority order); `python -m workers scheduler` runs the periodic jobs of workers/cron.py (RQ's cron
scheduler, restarted after a Redis outage); `python -m workers requeue-failed` re-queues the dead letters.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time

import redis
import rq

from pipeline import jobs
from pipeline.vocabulary import ALERTS_QUEUE, EVENT_QUEUES, MAINTENANCE_QUEUE
from workers import context

# maintenance first: its jobs are short (kick, queue polls) and must not starve behind an event backlog; then the
# alert notifications (rare, each attempt bounded by a 10 s timeout) so an alert is not held up by a backlog either
QUEUE_NAMES = [MAINTENANCE_QUEUE, ALERTS_QUEUE, *EVENT_QUEUES]
log = logging.getLogger(__name__)


class JobIdFilter(logging.Filter):
    """Adds the current RQ job id to every log record, so a batch's lines can be found together."""

    def filter(self, record: logging.LogRecord) -> bool:
        job = rq.get_current_job()
        record.job_id = job.id if job else "-"
        return True


def run_worker(burst: bool = False) -> int:
    """Run one SimpleWorker: jobs execute in this process with imports and connections already warm."""
    settings = context.settings()
    handler = logging.StreamHandler()
    handler.addFilter(JobIdFilter())
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s [%(job_id)s] %(message)s"))
    logging.basicConfig(level=settings.log_level, handlers=[handler])
    import workers.alert_notify  # noqa: F401  (preload: the first job must not pay for imports)
    import workers.alerts  # noqa: F401
    import workers.maintenance  # noqa: F401
    import workers.queue_poll  # noqa: F401
    import workers.tasks  # noqa: F401

    context.engine()
    conn = context.redis_conn()
    queues = [rq.Queue(name, connection=conn) for name in QUEUE_NAMES]
    while True:
        worker = rq.SimpleWorker(queues, connection=conn)
        try:
            worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
        except redis.RedisError as exc:  # raised by RQ's teardown when Redis is still down
            log.warning("worker stopped on a Redis error: %s", exc)
        # RQ's worker quits on any error inside a job's bookkeeping, e.g. Redis restarting mid-batch. A writer
        # must outlive a Redis restart (a process manager's restart limit can give up during a long outage), so
        # wait for Redis and work again. The claimed batch is safe: kick() recovers it when its lease expires.
        # (RQ records a SIGTERM/SIGINT only in this attribute when the worker was idle: StopRequested is swallowed)
        if burst or getattr(worker, "_shutdown_requested_date", None) is not None:
            return 0
        _wait_for_redis(conn)


def _wait_for_redis(conn: redis.Redis) -> None:
    # RQ's signal handlers stay installed and need Redis; between runs no job is in progress, so stop plainly
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    while True:
        try:
            conn.ping()
            return
        except redis.RedisError:
            time.sleep(1)


def run_scheduler() -> int:
    """RQ's cron scheduler for workers/cron.py, started again whenever a Redis outage ends it."""
    from rq.cron import CronScheduler

    settings = context.settings()
    settings.configure_logging()
    conn = context.redis_conn()
    scheduler = CronScheduler(connection=conn, logging_level=settings.log_level)
    scheduler.load_config_from_file("workers.cron")  # once: a second import of the module would register nothing
    while True:
        try:
            scheduler.start()
            return 0  # start() returns only after a stop signal
        except redis.RedisError as exc:
            log.warning("scheduler stopped on a Redis error: %s; waiting for Redis", exc)
            _wait_for_redis(conn)


def requeue_failed() -> int:
    """Move every job of the event queues' failed registries back to its queue; print how many."""
    total = jobs.requeue_failed(context.redis_conn())
    print(f"re-queued {total} failed job(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Parse the sub-command and run it."""
    parser = argparse.ArgumentParser(prog="python -m workers", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    worker = sub.add_parser("worker", help="run an RQ worker for the event, maintenance and alert queues")
    worker.add_argument("--burst", action="store_true", help="exit when the queues are empty")
    sub.add_parser("scheduler", help="run the periodic jobs (queue polls, kick, maintenance)")
    sub.add_parser("requeue-failed", help="re-queue every dead-lettered job")
    args = parser.parse_args(argv)
    if args.command == "worker":
        return run_worker(burst=args.burst)
    return run_scheduler() if args.command == "scheduler" else requeue_failed()


if __name__ == "__main__":
    sys.exit(main())
