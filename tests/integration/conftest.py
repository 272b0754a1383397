"""Integration fixtures: a fresh test database migrated once per session, tables and Redis emptied before every
test (RQ's own test style), the Flask app, a logged-in test client, and an in-process RQ SimpleWorker run in burst
mode. Two users exist for the whole session: `viewer` and `admin` (passwords in USERS).
"""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager

import psycopg
import pytest
import redis as redis_lib
import rq
from sqlalchemy import text
from sqlalchemy.engine import make_url

from store import accounts, db, migrate
from tests.conftest import DATABASE_URL, REDIS_URL, TEST_KEY, make_settings
from workers import context

TABLES = ("email_events", "event_ids", "queue_snapshots", "user_sessions") + tuple(
    f"{kind}_{res}" for kind in ("email_stats", "email_dim") for res in ("5m", "1h", "1d"))


def _recreate_database() -> None:
    url = make_url(DATABASE_URL)
    admin = url.set(database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{url.database}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{url.database}"')


@pytest.fixture(scope="session")
def engine():
    """A migrated, empty test database (recreated once per session)."""
    _recreate_database()
    engine = db.init_engine(make_settings())
    migrate.migrate(engine)
    return engine


@pytest.fixture
def redis():
    """The test Redis database, emptied before and after the test."""
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


def reset_everything(engine) -> redis_lib.Redis:
    """Empty every table and the test Redis, point the worker code at the test settings (for module fixtures that
    load a data set once); returns the Redis connection."""
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    with engine.begin() as db_conn:
        db_conn.execute(text("TRUNCATE " + ", ".join(TABLES)))
    context.use(make_settings())
    return conn


@pytest.fixture
def clean(engine, redis):
    """Empty tables and Redis; the worker code uses the test settings."""
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(TABLES)))
    context.use(make_settings())
    return engine


@pytest.fixture(scope="session")
def app(engine):
    """The real Flask app (one per session: Dash registers pages once per process)."""
    from app import create_app

    return create_app(make_settings())


USERS = {"viewer": ("viewer", "viewer-password-0123"), "admin": ("admin", "admin-password-0123")}


@pytest.fixture(scope="session")
def test_users(engine) -> dict[str, int]:
    """The session's viewer and admin users (created once: argon2 is deliberately slow), id by name."""
    from webauth import passwords

    ids = {}
    with engine.begin() as conn:
        for name, (role, password) in USERS.items():
            ids[name] = accounts.create_user(conn, name, passwords.hash_password(password), role)
    return ids


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


@pytest.fixture
def anonymous(app, clean):
    """A test client without a session."""
    return app.test_client()


@pytest.fixture
def client(app, clean, test_users):
    """A test client logged in as the viewer, on a clean database and Redis."""
    return login(app.test_client())


@pytest.fixture
def admin_client(app, clean, test_users):
    """A test client logged in as the admin."""
    return login(app.test_client(), "admin")


def post(client, events, key: str = TEST_KEY, **kwargs):
    """POST events (a list, a dict, or raw bytes) to the ingest endpoint."""
    body = events if isinstance(events, bytes | str) else json.dumps(events)
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
    return client.post("/api/v1/events/ingest", data=body, headers=headers, **kwargs)


def run_worker(conn: redis_lib.Redis) -> None:
    """Run the real worker code until every queue is empty."""
    from pipeline import buffer

    queues = [rq.Queue(name, connection=conn) for name in [*buffer.QUEUES.values(), "maintenance"]]
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
