"""The one-command launcher with DATABASE_URL/REDIS_URL unset: embedded PostgreSQL and Redis, web + worker +
scheduler up, /healthz green, an event accepted, and a clean stop on Ctrl-C (SIGINT) with nothing left running.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status
    except (urllib.error.URLError, OSError):
        return 0


def test_embedded_run_starts_serves_and_stops(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                                              "INGEST_API_KEYS")}
    env.update(MAILFLOW_DATA_DIR=str(tmp_path / "data"), PORT=str(port), HOST="127.0.0.1", WEB_WORKERS="1")
    proc = subprocess.Popen([sys.executable, "run.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 120
        while _get(f"http://127.0.0.1:{port}/healthz") != 200:
            assert proc.poll() is None, proc.stdout.read()
            assert time.monotonic() < deadline, "the launcher did not become healthy in 120 s"
            time.sleep(0.25)
        key = (tmp_path / "data" / "ingest_key").read_text().strip()
        event = {"event_id": "launcher-1", "event_type": "received", "direction": "inbound",
                 "timestamp": int(time.time() * 1000), "mta_node": "mx-test"}
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events/ingest",
                                         data=json.dumps(event).encode(), method="POST",
                                         headers={"Authorization": f"Bearer {key}",
                                                  "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 202
        assert _get(f"http://127.0.0.1:{port}/") == 200
    finally:
        proc.send_signal(signal.SIGINT)
        output = proc.communicate(timeout=60)[0]
    assert proc.returncode == 0, output
    assert "[run] stopped." in output
    assert not (tmp_path / "data" / "pg" / "postmaster.pid").exists()
    assert _get(f"http://127.0.0.1:{port}/healthz") == 0


def _launch(tmp_path, port: int, *args: str) -> tuple[subprocess.Popen, list[str]]:
    """The launcher with embedded servers; its output lines are collected by a thread as they come."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "SECRET_KEY",
                                                              "INGEST_API_KEYS", "LOG_LEVEL")}
    env.update(MAILFLOW_DATA_DIR=str(tmp_path / "data"), PORT=str(port), HOST="127.0.0.1", WEB_WORKERS="1")
    proc = subprocess.Popen([sys.executable, "run.py", *args], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stdout.readline, "")), daemon=True).start()
    return proc, lines


def _ingest(port: int, key: str, n: int) -> None:
    event = {"event_id": f"quiet-{n}", "event_type": "received", "direction": "inbound",
             "timestamp": int(time.time() * 1000), "mta_node": "mx-test"}
    request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/events/ingest", data=json.dumps(event).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {key}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        assert response.status == 202


def test_demo_prints_one_banner_then_stays_quiet_and_info_repeats_it(tmp_path):
    port = _free_port()
    proc, lines = _launch(tmp_path, port, "--demo", "--demo-events", "0", "--demo-rate", "200")
    try:
        deadline = time.monotonic() + 120
        while not any(line.startswith("  Stop ") for line in lines):
            assert proc.poll() is None, "".join(lines)
            assert time.monotonic() < deadline, "no banner within 120 s:\n" + "".join(lines)
            time.sleep(0.1)
        end_of_banner = len(lines) + 2  # the closing rule and the first admin password line
        key = (tmp_path / "data" / "ingest_key").read_text().strip()
        # a few seconds of traffic: the demo at 200 events/s, plus requests and jobs of our own
        window = time.monotonic() + 5
        n = 0
        while time.monotonic() < window:
            _ingest(port, key, n)
            assert _get(f"http://127.0.0.1:{port}/healthz") == 200
            n += 1
        after = lines[end_of_banner:]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    output = "".join(lines)
    assert proc.returncode == 0, output
    assert output.count("Mailflow is running with demo traffic") == 1
    assert f"Ingest key  {key}" in output and f"Dashboard   http://127.0.0.1:{port}/" in output
    assert "first admin user created: admin / " in output
    # before: an access-log line per request and RQ lines per job (hundreds a second)
    assert n > 20 and len(after) <= 3, after
    assert not any("POST /api/v1/events/ingest" in line or "Job OK" in line for line in lines), output

    info = subprocess.run([sys.executable, "run.py", "--info"], cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, MAILFLOW_DATA_DIR=str(tmp_path / "data")))
    assert info.returncode == 0
    assert "Mailflow is running" in info.stdout and f"Ingest key  {key}" in info.stdout
    assert "first admin user created" not in info.stdout  # the password is shown once, never stored
    assert (tmp_path / "data" / "banner.txt").stat().st_mode & 0o077 == 0


def test_info_before_the_first_start_says_how_to_start(tmp_path):
    info = subprocess.run([sys.executable, "run.py", "--info"], cwd=ROOT, capture_output=True, text=True, timeout=30,
                          env=dict(os.environ, MAILFLOW_DATA_DIR=str(tmp_path / "empty")))
    assert info.returncode == 1 and "python run.py" in info.stdout
