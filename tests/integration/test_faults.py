"""Faults while a sender posts a known set of events through the real processes: worker SIGKILLs mid-batch, a
Redis restart, a PostgreSQL outage, web restarts, every event sent twice. After recovery email_events holds exactly
the distinct events that got a 202, nothing is dead-lettered, and every rollup equals its recomputation.

The processes use a private redis-server (AOF on), so the shared Redis is never restarted, and WRITE_RETRY_INTERVALS
"2,5,10" so a write handed over during an outage is retried within the test.
"""

from __future__ import annotations

import random
import signal
import subprocess
import sys
import time

import pytest
import redis as redis_lib
from sqlalchemy.engine import make_url

from pipeline import buffer, telemetry
from tests.integration import faultkit as kit
from tests.integration.rollup_check import assert_exact
from tests.support import DATABASE_URL
from tools.traffic import dataset

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def redis_server(tmp_path):
    """A private Redis with AOF, stopped after the test."""
    server = kit.RedisServer(tmp_path)
    server.start()
    yield server
    if server.proc.poll() is None:
        server.kill()


@pytest.fixture
def stack(clean, redis_server, tmp_path):
    """Web, one worker and the scheduler on the private Redis (tests add workers as they need)."""
    procs = kit.Processes(redis_server.url, tmp_path)
    procs.start("scheduler")
    procs.start("worker0")
    procs.start("web")
    yield procs
    procs.stop()


def _events(seed: int, messages: int) -> list[dict]:
    now = int(time.time() * 1000)
    return dataset(seed, now - 1_800_000, now, messages, now_ms=now)


def _recover(stack: kit.Processes, engine, conn, accepted: set, requeue: bool = False, timeout: float = 90) -> list:
    """Wait until the pipeline is idle with every accepted event stored; re-queue dead letters once if allowed.
    Returns the dead letters seen before any re-queue."""
    def done():
        return kit.idle(conn) and (len(kit.stored(engine)) >= len(accepted) or kit.dead_letters(conn))

    def detail():
        return f"{kit.state(conn)}, stored {len(kit.stored(engine))} of {len(accepted)}"

    kit.wait_for(done, timeout, "the pipeline to settle", interval=0.5, detail=detail)
    seen = kit.dead_letters(conn)
    if seen and requeue:
        subprocess.run([sys.executable, "-m", "workers", "requeue-failed"], cwd=kit.ROOT, env=stack.env, check=True)
        kit.wait_for(lambda: kit.idle(conn) and len(kit.stored(engine)) >= len(accepted), timeout,
                     "re-queued dead letters", interval=0.5, detail=detail)
    return seen


def _assert_exactly_once(engine, conn, sender: kit.Sender) -> None:
    assert sender.fatal == []
    assert 500 not in sender.statuses
    assert kit.stored(engine) == sender.accepted
    assert kit.dead_letters(conn) == []
    assert {int(n) for n in conn.hgetall(telemetry.BUFFERED).values()} <= {0}  # the buffered-events gauge settles at 0
    assert_exact(engine)


def test_worker_sigkilled_mid_batch_three_times(stack, clean, redis_server):
    conn = redis_lib.Redis.from_url(redis_server.url)
    sender = kit.Sender(stack.port, kit.batches_of(_events(81, 3000)), pause=0.1)
    sender.start()
    dead: set[bytes] = set()
    for _ in range(3):
        # a lease this worker took (not one a killed worker left behind): the worker is mid-batch
        kit.wait_for(lambda dead=dead: set(conn.zrange(buffer.PROCS, 0, -1)) - dead, 30, "a claimed batch")
        dead |= set(conn.zrange(buffer.PROCS, 0, -1))
        stack.signal("worker0", signal.SIGKILL)
        stack.start("worker0")
    sender.join(120)
    assert not sender.is_alive()
    _recover(stack, clean, conn, sender.accepted)
    _assert_exactly_once(clean, conn, sender)


def test_redis_restart_answers_503_and_loses_nothing(stack, clean, redis_server):
    conn = redis_lib.Redis.from_url(redis_server.url)
    sender = kit.Sender(stack.port, kit.batches_of(_events(82, 3000)), pause=0.1, timeout=3.0)
    sender.start()
    kit.wait_for(lambda: len(sender.accepted) > 1000, 30, "ingest under way")
    redis_server.kill()
    kit.wait_for(lambda: sender.statuses[503] >= 3, 20, "503s while Redis is down")
    # stay down while the sender gets several more answers (each a prompt 503), not for a fixed time
    answered = sum(sender.statuses.values())
    kit.wait_for(lambda: sum(sender.statuses.values()) >= answered + 5, 20, "more answers while Redis is down")
    redis_server.start()
    assert stack.procs["worker0"].poll() is None  # the writer waits for Redis instead of exiting
    assert stack.procs["scheduler"].poll() is None  # and so does the scheduler
    sender.join(120)
    assert not sender.is_alive()
    assert sender.statuses["TimeoutError"] == 0  # 503 promptly, never a hang
    _recover(stack, clean, conn, sender.accepted)
    _assert_exactly_once(clean, conn, sender)


def _running_cluster() -> tuple[str, str]:
    """(version, name) of the online PostgreSQL cluster serving the test database's port (pg_lsclusters)."""
    port = str(make_url(DATABASE_URL).port or 5432)
    listing = subprocess.run(["pg_lsclusters", "--no-header"], capture_output=True, text=True, check=True).stdout
    for line in listing.splitlines():
        version, name, cluster_port, status = line.split()[:4]
        if cluster_port == port and status.startswith("online"):
            return version, name
    pytest.skip(f"no online pg_lsclusters cluster on port {port} to stop and start")


def _pg(cluster: tuple[str, str], action: str) -> None:
    subprocess.run(["pg_ctlcluster", "--skip-systemctl-redirect", *cluster, action], check=True, timeout=60)


def test_postgres_outage_buffers_then_catches_up(stack, clean, redis_server):
    cluster = _running_cluster()
    conn = redis_lib.Redis.from_url(redis_server.url)
    stack.start("worker1")
    sender = kit.Sender(stack.port, kit.batches_of(_events(83, 4000)), pause=0.25)
    sender.start()
    kit.wait_for(lambda: len(sender.accepted) > 1000, 30, "ingest under way")
    _pg(cluster, "stop")
    try:
        # stay down until the sender has posted everything: ingest keeps answering 202 without PostgreSQL, and
        # every event accepted since the stop waits in the buffer (the gauge counts claimed rows until their ack)
        accepted_before = len(sender.accepted)
        kit.wait_for(lambda: not sender.is_alive(), 120, "the sender to finish while PostgreSQL is down",
                     interval=0.5, detail=lambda: f"accepted {len(sender.accepted) - accepted_before} since the stop")
        since = len(sender.accepted) - accepted_before
        assert since > 0
        assert sum(int(n) for n in conn.hgetall(telemetry.BUFFERED).values()) >= since
    finally:
        _pg(cluster, "start")
    sender.join(120)
    assert not sender.is_alive()
    assert set(sender.statuses) == {202}
    # while PostgreSQL is away the rows stay buffered in Redis rather than becoming retrying jobs: no dead letters
    assert _recover(stack, clean, conn, sender.accepted, requeue=True) == []
    _assert_exactly_once(clean, conn, sender)


def test_web_restarted_gracefully_and_killed(stack, clean, redis_server):
    conn = redis_lib.Redis.from_url(redis_server.url)
    sender = kit.Sender(stack.port, kit.batches_of(_events(84, 3000)), pause=0.05)
    sender.start()
    for sig in (signal.SIGTERM, signal.SIGKILL):
        before = len(sender.accepted)
        kit.wait_for(lambda before=before: len(sender.accepted) > before + 500, 30, "ingest under way")
        stack.signal("web", sig)
        stack.start("web")
    sender.join(120)
    assert not sender.is_alive()
    _recover(stack, clean, conn, sender.accepted)
    _assert_exactly_once(clean, conn, sender)


def test_every_event_sent_twice_counts_once(stack, clean, redis_server):
    conn = redis_lib.Redis.from_url(redis_server.url)
    stack.start("worker1")
    events = _events(85, 2500)
    again = [dict(e) for e in events]
    random.Random(85).shuffle(again)  # the copies arrive in other batches, concurrently with the originals
    senders = [kit.Sender(stack.port, kit.batches_of(events), pause=0.02),
               kit.Sender(stack.port, kit.batches_of(again, 37))]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(120)
    resend = kit.Sender(stack.port, kit.batches_of(events[:1000]))
    resend.run()
    assert senders[0].accepted == senders[1].accepted == {(e["event_id"], e["timestamp"]) for e in events}
    _recover(stack, clean, conn, senders[0].accepted)
    _assert_exactly_once(clean, conn, senders[0])
