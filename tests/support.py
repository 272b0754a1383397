"""Test helpers shared by the unit, integration and browser tests (fixtures live in the conftest.py files):
settings built from a plain dict (never os.environ mutation), the service URLs of the real PostgreSQL and Redis
(TEST_DATABASE_URL / TEST_REDIS_URL, loopback defaults), the session's users, and the ways a test posts events,
runs the real worker code, logs a client in or serves the app.
"""

from __future__ import annotations

import json
import os
import threading
from contextlib import contextmanager

import psycopg
import redis as redis_lib
import rq
from sqlalchemy import text
from sqlalchemy.engine import make_url

from config import Settings
from pipeline.vocabulary import ALERTS_QUEUE, EVENT_QUEUES, MAINTENANCE_QUEUE
from store import accounts, db
from workers import context

TEST_KEY = "test-ingest-key-0123456789"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mailflow_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
TABLES = ("email_events", "event_ids", "queue_snapshots", "user_sessions", "alert_rules", "alert_history",
          "alert_notifications") + tuple(
    f"{kind}_{res}" for kind in ("email_stats", "email_dim") for res in ("5m", "1h", "1d"))
USERS = {"viewer": ("viewer", "viewer-password-0123"), "admin": ("admin", "admin-password-0123")}


def make_settings(**overrides) -> Settings:
    """Settings for tests: real services, a known ingest key, fast retries."""
    env = {
        "DATABASE_URL": DATABASE_URL,
        "REDIS_URL": REDIS_URL,
        "SECRET_KEY": "test-secret-key-0123456789",
        "INGEST_API_KEYS": TEST_KEY,
        "WRITE_RETRY_INTERVALS": "0,0,0",
        "WRITE_LEASE_SECONDS": "3",
    }
    env.update({k: str(v) for k, v in overrides.items()})
    return Settings.from_env(env)


def recreate_database() -> None:
    """Drop and create the test database (empty, not migrated)."""
    url = make_url(DATABASE_URL)
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')


def empty_tables(engine) -> None:
    """Truncate every table the tests write."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(TABLES)))


def reset_everything(engine) -> redis_lib.Redis:
    """Empty every table and the test Redis, point the worker code at the test settings (for module fixtures that
    load a data set once); returns the Redis connection."""
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    empty_tables(engine)
    context.use(make_settings())
    return conn


def login(client, username: str = "viewer"):
    """Give a test client the session a successful login of that user would (no form, no argon2 cost)."""
    from webauth import identity

    with db.engine().begin() as conn:
        user = accounts.user_by_name(conn, username)
        sid = identity.issue(conn, 3600, "127.0.0.1", "pytest", user_id=user["id"])
    with client.session_transaction() as session:
        session["sid"] = sid
    return client


def session_cookie(client) -> str:
    """`name=value` of the client's session cookie, for a WebSocket or urllib request."""
    from webauth import SESSION_COOKIE

    return f"{SESSION_COOKIE}={client.get_cookie(SESSION_COOKIE).value}"


def post(client, events, key: str = TEST_KEY, **kwargs):
    """POST events (a list, a dict, or raw bytes) to the ingest endpoint."""
    body = events if isinstance(events, bytes | str) else json.dumps(events)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    return client.post("/api/v1/events/ingest", data=body, headers=headers, **kwargs)


def run_worker(conn: redis_lib.Redis) -> None:
    """Run the real worker code until every queue is empty."""
    queues = [rq.Queue(name, connection=conn) for name in [*EVENT_QUEUES, MAINTENANCE_QUEUE, ALERTS_QUEUE]]
    rq.SimpleWorker(queues, connection=conn).work(burst=True)


@contextmanager
def serve(flask_app):
    """Serve the app on an ephemeral loopback port in a thread; yields host:port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, flask_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
