"""What `--demo` adds to the launcher: simulated ZoneMTA node APIs (tools/zonemta_sim.py), ZONEMTA_NODES pointing
at them, MAILFLOW_DEMO for the UI's badge, and the demo sender (tools/demo.py: backfill, then live traffic).
"""

from __future__ import annotations

import shlex
import socket
import sys
from pathlib import Path

from tools.traffic import NODES


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def state_file(data_dir: Path) -> Path:
    """The queue file the demo sender writes and the simulated nodes read."""
    return data_dir / "demo" / "queue.json"


def node_commands(data_dir: Path, count: int = len(NODES)) -> tuple[dict[str, list[str]], str]:
    """argv of each simulated node, and the ZONEMTA_NODES value that points the poller at them."""
    commands, urls = {}, []
    for node in NODES[:count]:
        port = free_port()
        commands[f"zonemta-{node}"] = [sys.executable, "-m", "tools.zonemta_sim", "--node", node, "--port",
                                       str(port), "--state", str(state_file(data_dir))]
        urls.append(f"{node}=http://127.0.0.1:{port}")
    return commands, ",".join(urls)


def sender_command(url: str, key: str, data_dir: Path, events: int, rate: float) -> str:
    """The demo sender's command line (backfill `events` events of history, then live; `rate` 0 = history's)."""
    return (f"python -m tools.demo --url {url}api/v1/events/ingest --key={shlex.quote(key)} "
            f"--state {shlex.quote(str(state_file(data_dir)))} --events {events} --rate {rate:g}")
