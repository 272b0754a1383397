"""Integration fixtures: tables and Redis emptied before every test (RQ's own test style), logged-in test clients.
The session's database, app and users (`viewer` and `admin`, passwords in tests.support.USERS) come from
tests/conftest.py; helpers (post, run_worker, login, serve ...) from tests/support.py.
"""

from __future__ import annotations

import pytest
import redis as redis_lib

from tests.support import REDIS_URL, empty_tables, login, make_settings
from workers import context


@pytest.fixture
def redis():
    """The test Redis database, emptied before and after the test."""
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()


@pytest.fixture
def clean(engine, redis):
    """Empty tables and Redis; the worker code uses the test settings."""
    empty_tables(engine)
    context.use(make_settings())
    return engine


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
