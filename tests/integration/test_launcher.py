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
