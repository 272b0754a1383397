"""Faults on the write path: a failing write is retried then dead-lettered with its events and re-queued; a worker
killed with SIGKILL mid-batch loses and duplicates nothing.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import rq
from sqlalchemy import text

from pipeline import buffer
from tests.integration.rollup_check import assert_exact
from tests.support import DATABASE_URL, REDIS_URL, TEST_KEY, post, run_worker
from tools.traffic import dataset
from workers import __main__ as worker_cli

pytestmark = pytest.mark.integration
POISON = """
CREATE OR REPLACE FUNCTION test_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'poisoned write for the test'; END $$;
CREATE TRIGGER test_poison BEFORE INSERT ON email_events FOR EACH ROW EXECUTE FUNCTION test_poison();
"""


def _wait_for(predicate, timeout: float = 30.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _stored(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(text("SELECT count(*) FROM email_events")).scalar_one()


def test_failed_write_is_retried_then_dead_lettered_then_requeued(client, clean, redis):
    now = int(time.time() * 1000)
    events = [e for e in dataset(5, now - 600_000, now, 40, now_ms=now) if e["event_type"] == "delivered"]
    with clean.begin() as conn:
        conn.connection.driver_connection.execute(POISON)
    try:
        assert post(client, events).status_code == 202
        run_worker(redis)
        failed = rq.Queue(buffer.QUEUES["low"], connection=redis).failed_job_registry
        [job_id] = failed.get_job_ids()
        job = rq.job.Job.fetch(job_id, connection=redis)
        assert job.func_name == "workers.tasks.write_events"
        assert sorted(r[0] for r in job.args[0]) == sorted(e["event_id"] for e in events)
        assert job.retries_left == 0
        assert _stored(clean) == 0
    finally:
        with clean.begin() as conn:
            conn.execute(text("DROP TRIGGER IF EXISTS test_poison ON email_events"))
    assert worker_cli.requeue_failed() == 0
    run_worker(redis)
    assert _stored(clean) == len(events)
    assert failed.count == 0
    assert_exact(clean)


def _start_worker() -> subprocess.Popen:
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, SECRET_KEY="x" * 20,
               INGEST_API_KEYS=TEST_KEY, WRITE_LEASE_SECONDS="3", WRITE_BATCH_MAX="500", LOG_LEVEL="WARNING")
    # its own session, so a SIGKILL to the group also takes RQ's scheduler child (it must not outlive the test)
    return subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env, start_new_session=True)


@pytest.mark.slow
def test_worker_killed_mid_batch_loses_and_duplicates_nothing(client, clean, redis):
    now = int(time.time() * 1000)
    events = dataset(21, now - 3_600_000, now, 6000, now_ms=now)
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    expected = len({(e["event_id"], e["timestamp"]) for e in events})
    for _ in range(3):
        worker = _start_worker()
        try:
            _wait_for(lambda: redis.zcard(buffer.PROCS), what="a claimed batch")  # the worker is mid-batch
        finally:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait()
    assert _stored(clean) < expected
    worker = _start_worker()
    try:
        # kick() is the scheduler's job; here the test calls it until the expired leases are recovered
        from workers import tasks
        _wait_for(lambda: tasks.kick() and redis.zcard(buffer.PROCS) == 0 and _stored(clean) == expected,
                  timeout=60, what="recovery of the killed batches")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(20)
    run_worker(redis)
    assert _stored(clean) == expected
    assert_exact(clean)
