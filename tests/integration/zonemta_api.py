"""Test helper: runs ingest/zonemta-plugin/test/harness/api-server.js (ZoneMTA 3.10.3's real API server code over
an in-memory queue) as a subprocess, and drives its stdin commands (`stop <i>`, `hang <i>`)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from pathlib import Path

import pytest

PLUGIN_DIR = Path(__file__).resolve().parents[2] / "ingest" / "zonemta-plugin"
SCRIPT = PLUGIN_DIR / "test" / "harness" / "api-server.js"


def require_node_modules() -> None:
    """Skip the calling test when the plugin's npm dependencies are not installed (`make test` installs them)."""
    if not (PLUGIN_DIR / "node_modules" / "zone-mta" / "package.json").exists():
        pytest.skip(f"{PLUGIN_DIR}/node_modules is missing: run `npm ci` there (make test does)")


class ApiServers:
    """N ZoneMTA API servers in one Node process; each answers on its own 127.0.0.1 port."""

    def __init__(self, seed_path: Path, instances: int):
        self.proc = subprocess.Popen(
            ["node", str(SCRIPT), "--instances", str(instances), "--seed", str(seed_path)],
            cwd=PLUGIN_DIR, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self._lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.ready = self._next()
        self.ports = [item["port"] for item in self.ready["instances"]]

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._lines.put(line)

    def _next(self, timeout: float = 30) -> dict:
        try:
            return json.loads(self._lines.get(timeout=timeout))
        except queue.Empty:
            message = f"api-server.js said nothing within {timeout} s (exit code {self.proc.poll()})"
            raise AssertionError(message) from None

    def command(self, line: str) -> dict:
        """Send one command and return its JSON acknowledgement (sent once the command has taken effect)."""
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        reply = self._next()
        assert reply.get("ok"), reply
        return reply

    def url(self, index: int) -> str:
        """Base URL of instance `index`."""
        return f"http://127.0.0.1:{self.ports[index]}"

    def close(self) -> None:
        """Close stdin (the harness then stops every instance and exits) and reap the process."""
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
