"""The benchmarked stack: a fresh database and Redis db, then the Procfile's real processes (the web line as
written there, RQ workers, scheduler) started as separate processes, plus CPU accounting per process group.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import psutil
import psycopg
import redis
import requests

from launcher.cli import procfile

ROOT = Path(__file__).resolve().parents[1]
BENCH_KEY = "bench-ingest-key-0123456789"


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and create a database; return its URL."""
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return admin_url.rsplit("/", 1)[0] + "/" + name


class Stack:
    """Web, workers and scheduler for one run, on the given database and Redis URLs."""

    def __init__(self, database_url: str, redis_url: str, port: int, workers: int, web_workers: int, extra_env=None):
        self.env = dict(os.environ, DATABASE_URL=database_url, REDIS_URL=redis_url, PORT=str(port),
                        HOST="127.0.0.1", SECRET_KEY="bench-secret-0123456789", INGEST_API_KEYS=BENCH_KEY,
                        WEB_WORKERS=str(web_workers), LOG_LEVEL="WARNING",
                        INGEST_RATE_LIMIT="10000000/minute",
                        INGEST_KEY_RATE_LIMIT="10000000/minute", PYTHONUNBUFFERED="1", **(extra_env or {}))
        self.env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + self.env["PATH"]
        self.port, self.workers, self.procs = port, workers, {}

    def start(self) -> None:
        """Migrate, start every process, wait for /healthz."""
        redis.Redis.from_url(self.env["REDIS_URL"]).flushdb()
        subprocess.run([sys.executable, "-m", "store.migrate"], env=self.env, cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        self._spawn("web", procfile()["web"])
        self.add_workers(self.workers)
        self._spawn("scheduler", f"{sys.executable} -m workers scheduler")
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=1) as r:
                    if r.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("stack did not become healthy")

    def add_workers(self, count: int) -> None:
        """Start `count` more RQ worker processes."""
        first = sum(name.startswith("worker") for name in self.procs)
        for n in range(first, first + count):
            self._spawn(f"worker{n}", f"{sys.executable} -m workers worker")

    def login(self, user: str = "bench", password: str = "bench-password-0123") -> str:
        """Create a viewer (first call) with the real CLI and log in through the real form; the Cookie header."""
        subprocess.run([sys.executable, "-m", "webauth", "users", "create", user, "--password-stdin"],
                       input=password + "\n", text=True, env=self.env, cwd=ROOT, capture_output=True)
        http_session = requests.Session()
        base = f"http://127.0.0.1:{self.port}"
        csrf = re.search(r'name="csrf" value="([^"]+)"', http_session.get(f"{base}/login", timeout=10).text)
        answer = http_session.post(f"{base}/login", data={"username": user, "password": password,
                                                          "csrf": csrf.group(1)}, allow_redirects=False, timeout=10)
        if answer.status_code not in (302, 303):
            raise RuntimeError(f"bench login failed: {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in http_session.cookies.items())

    def _spawn(self, name: str, command: str) -> None:
        # each process logs to its own file, so the benchmark's own output stays clean JSON
        log = open(Path(tempfile.gettempdir()) / f"mailflow-bench-{name}.log", "wb")  # noqa: SIM115
        self.procs[name] = subprocess.Popen(["sh", "-c", "exec " + command], cwd=ROOT, env=self.env,
                                            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

    def stop(self) -> None:
        """SIGTERM every process group and wait."""
        for proc in self.procs.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs.values():
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)

    def groups(self) -> dict[str, list[psutil.Process]]:
        """Processes by role, for CPU accounting (PostgreSQL and Redis server processes found by name)."""
        out: dict[str, list[psutil.Process]] = {"web": [], "workers": [], "scheduler": []}
        for name, proc in self.procs.items():
            role = "workers" if name.startswith("worker") else name
            parent = psutil.Process(proc.pid)
            out[role] += [parent, *parent.children(recursive=True)]
        out["postgres"] = [p for p in psutil.process_iter(["name"]) if p.info["name"] in ("postgres", "postmaster")]
        out["redis"] = [p for p in psutil.process_iter(["name"]) if (p.info["name"] or "").startswith("redis-server")]
        return out


def cpu_seconds(groups: dict[str, list[psutil.Process]]) -> dict[str, float]:
    """User+system CPU seconds used so far by each group's live processes (children included)."""
    out = {}
    for role, procs in groups.items():
        total = 0.0
        for proc in procs:
            with contextlib.suppress(psutil.NoSuchProcess):  # ended between listing and reading
                t = proc.cpu_times()
                total += t.user + t.system + t.children_user + t.children_system
        out[role] = total
    return out
