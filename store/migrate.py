"""Schema migrations: apply sql/migrations/NNNN_*.sql in order, once each, recorded in schema_migrations.

Each file runs in its own transaction through the psycopg connection without bind parameters, so one file may hold
many statements and `:` or `%` pass through untouched. A transaction-level advisory lock lets several processes
start at once (web, workers) without applying a file twice. Run it with `python -m store.migrate`.
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import Connection, Engine

from config import ConfigError, Settings
from store import db

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "sql" / "migrations"
log = logging.getLogger(__name__)


def migration_files() -> list[Path]:
    """All migration files in version order."""
    return sorted(MIGRATIONS_DIR.glob("[0-9][0-9][0-9][0-9]_*.sql"))


def applied_versions(conn: Connection) -> set[str]:
    """Versions already recorded (empty when the bookkeeping table does not exist yet)."""
    if conn.execute(text("SELECT to_regclass('schema_migrations')")).scalar() is None:
        return set()
    return set(conn.execute(text("SELECT version FROM schema_migrations")).scalars())


def pending(engine: Engine) -> list[str]:
    """Names of migration files not yet applied (used by /healthz)."""
    with engine.connect() as conn:
        done = applied_versions(conn)
    return [f.name for f in migration_files() if f.stem not in done]


def migrate(engine: Engine) -> list[str]:
    """Apply every pending migration; return the versions applied now (empty when current)."""
    applied = []
    with engine.begin() as conn:
        conn.execute(text("SELECT pg_advisory_xact_lock(hashtext('mailflow_migrate'))"))
        conn.execute(text(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        ))
        done = applied_versions(conn)
        for path in migration_files():
            if path.stem in done:
                continue
            log.info("applying migration %s", path.name)
            conn.connection.driver_connection.execute(path.read_text())
            conn.execute(text("INSERT INTO schema_migrations (version) VALUES (:v)"), {"v": path.stem})
            applied.append(path.stem)
    return applied


def main() -> int:
    """CLI entry: migrate the database named by DATABASE_URL."""
    try:
        settings = Settings.from_env(os.environ)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    settings.configure_logging()
    applied = migrate(db.init_engine(settings))
    print(f"applied {len(applied)} migration(s)" + (": " + ", ".join(applied) if applied else " (up to date)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
