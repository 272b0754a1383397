"""Harness for the fault tests: a private Redis with AOF, the real processes (gunicorn web, `python -m workers
worker`, `python -m workers scheduler`) started and killed like a process manager would, and a sender that posts a known
set of events and retries on 503 and connection errors as the ZoneMTA plugin does.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import redis as redis_lib
import rq
from sqlalchemy import text

from pipeline import buffer
from tests.support import DATABASE_URL, TEST_KEY

ROOT = Path(__file__).resolve().parents[2]
RETRYABLE = (429, 502, 503)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, timeout: float, what: str, interval: float = 0.05, detail=None):
    """Poll until predicate() is truthy; fail the test after timeout seconds (with detail() in the message)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := predicate():
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}" + (f": {detail()}" if detail else ""))


class RedisServer:
    """A private redis-server with AOF (appendfsync everysec), restartable on the same port and data dir."""

    def __init__(self, data_dir: Path):
        self.port, self.dir, self.proc = free_port(), data_dir, None
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        """Start the server and wait until it answers PING (after loading its AOF)."""
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--appendonly", "yes",
             "--appendfsync", "everysec", "--save", "", "--dir", str(self.dir), "--daemonize", "no"],
            stdout=subprocess.DEVNULL)
        conn = redis_lib.Redis(port=self.port)
        wait_for(lambda: _pings(conn), 10, "redis-server to answer")

    def kill(self) -> None:
        """SIGKILL: no shutdown, no final AOF rewrite."""
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)


def _pings(conn) -> bool:
    try:
        return conn.ping()
    except redis_lib.RedisError:
        return False


class Processes:
    """The Procfile's processes on one database and Redis; each can be killed and started again."""

    def __init__(self, redis_url: str, log_dir: Path, **env: str):
        self.port, self.log_dir, self.procs = free_port(), log_dir, {}
        self.env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=redis_url, SECRET_KEY="s" * 20,
                        INGEST_API_KEYS=TEST_KEY, WRITE_LEASE_SECONDS="3", WRITE_BATCH_MAX="500",
                        WRITE_RETRY_INTERVALS="2,5,10", INGEST_RATE_LIMIT="1000000/minute", LOG_LEVEL="WARNING",
                        PYTHONUNBUFFERED="1", **env)
        self.env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + self.env["PATH"]
        self.commands = {
            "web": f"gunicorn --worker-class gthread --workers 2 --threads 8 --bind 127.0.0.1:{self.port} "
                   "--graceful-timeout 10 wsgi:server",
            "worker": f"{sys.executable} -m workers worker",
            "scheduler": f"{sys.executable} -m workers scheduler",
        }

    def start(self, name: str, role: str | None = None) -> subprocess.Popen:
        """Start (or restart) one process; role defaults to the name without its digits."""
        role = role or name.rstrip("0123456789")
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115 (closed when the process ends)
        self.procs[name] = subprocess.Popen(self.commands[role].split(), cwd=ROOT, env=self.env, stdout=log,
                                            stderr=subprocess.STDOUT, start_new_session=True)
        if role == "web":
            wait_for(self.web_up, 60, "the web process to answer", interval=0.2)
        return self.procs[name]

    def web_up(self) -> bool:
        """True when /healthz answers at all (any status)."""
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
            conn.request("GET", "/healthz")
            return conn.getresponse().status > 0
        except OSError:
            return False

    def signal(self, name: str, sig: int = signal.SIGKILL, wait: float = 20) -> None:
        """Send a signal to one process group and wait for it to end."""
        proc = self.procs[name]
        if proc.poll() is None:
            os.killpg(proc.pid, sig)
        proc.wait(wait)

    def stop(self) -> None:
        """Stop every process (SIGTERM, then SIGKILL after 10 s)."""
        for name in self.procs:
            if self.procs[name].poll() is None:
                os.killpg(self.procs[name].pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


class Sender(threading.Thread):
    """Posts batches in order, each until it gets a 202, retrying like the plugin; records what was accepted."""

    def __init__(self, port: int, batches: list[list[dict]], pause: float = 0.02, timeout: float = 3.0):
        super().__init__(daemon=True)
        self.port, self.batches, self.pause, self.timeout = port, batches, pause, timeout
        self.accepted: set[tuple[str, int]] = set()
        self.statuses: Counter = Counter()
        self.fatal: list = []

    def run(self) -> None:
        conn = None
        for batch in self.batches:
            body = json.dumps(batch).encode()
            while True:
                try:
                    conn = conn or http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
                    conn.request("POST", "/api/v1/events/ingest", body, {
                        "Content-Type": "application/json", "Authorization": f"Bearer {TEST_KEY}"})
                    response = conn.getresponse()
                    payload = response.read()
                except (OSError, http.client.HTTPException) as exc:
                    self.statuses[type(exc).__name__] += 1
                    conn = None
                    time.sleep(0.2)
                    continue
                self.statuses[response.status] += 1
                if response.status == 202:
                    self.accepted |= {(e["event_id"], e["timestamp"]) for e in batch}
                    break
                if response.status not in RETRYABLE:
                    self.fatal.append((response.status, payload[:300]))
                    break
                time.sleep(0.2)
            time.sleep(self.pause)


def batches_of(events: list[dict], size: int = 100) -> list[list[dict]]:
    """The events cut into plugin-sized batches."""
    return [events[i:i + size] for i in range(0, len(events), size)]


def stored(engine) -> set[tuple[str, int]]:
    """(event_id, epoch ms) of every stored event."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT event_id, CAST(extract(epoch FROM ts) * 1000 AS bigint) FROM email_events"))
        return {(r[0], int(r[1])) for r in rows}


def dead_letters(conn: redis_lib.Redis) -> list[str]:
    """Ids of failed write_events jobs (dead letters holding events) over the event queues."""
    ids = []
    for name in buffer.QUEUES.values():
        for job_id in rq.Queue(name, connection=conn).failed_job_registry.get_job_ids():
            job = rq.job.Job.fetch(job_id, connection=conn)
            if job.func_name == "workers.tasks.write_events":
                ids.append(job_id)
    return ids


def state(conn: redis_lib.Redis) -> dict:
    """What the pipeline still holds: buffered elements, leases, queued jobs and jobs waiting for a retry."""
    out = {"backlog": buffer.backlog(conn), "leases": conn.zcard(buffer.PROCS)}
    for name in buffer.QUEUES.values():
        queue = rq.Queue(name, connection=conn)
        out[name] = (queue.count, queue.scheduled_job_registry.count, queue.started_job_registry.count)
    return out


def idle(conn: redis_lib.Redis) -> bool:
    """Nothing buffered, claimed, queued or waiting for a retry (a job in a killed worker's started registry
    is not counted: RQ moves it to the failed registry only after its heartbeat lapses)."""
    now = state(conn)
    return (not any(now["backlog"].values()) and not now["leases"]
            and all(now[name][:2] == (0, 0) for name in buffer.QUEUES.values()))
