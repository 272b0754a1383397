"""Fixtures shared by every test directory: settings, and the session's migrated test database, app and users
(the browser tests use the integration tests' app). Helpers are in tests/support.py.
"""

from __future__ import annotations

import pytest

from config import Settings
from store import accounts, migrate
from tests.support import USERS, make_settings, recreate_database


@pytest.fixture
def settings() -> Settings:
    """Default test settings."""
    return make_settings()


@pytest.fixture(scope="session")
def engine():
    """A migrated, empty test database (recreated once per session)."""
    from store import db

    recreate_database()
    engine = db.init_engine(make_settings())
    migrate.migrate(engine)
    return engine


@pytest.fixture(scope="session")
def app(engine):
    """The real Flask app (one per session: Dash registers pages once per process)."""
    from app import create_app

    return create_app(make_settings())


@pytest.fixture(scope="session")
def test_users(engine) -> dict[str, int]:
    """The session's viewer and admin users (created once: argon2 is deliberately slow), id by name."""
    from webauth import passwords

    ids = {}
    with engine.begin() as conn:
        for name, (role, password) in USERS.items():
            ids[name] = accounts.create_user(conn, name, passwords.hash_password(password), role)
    return ids
