"""Shared fixtures: settings built from a plain dict (never os.environ mutation), service URLs for the real
PostgreSQL and Redis the integration tests use (TEST_DATABASE_URL / TEST_REDIS_URL, loopback defaults).
"""

from __future__ import annotations

import os

import pytest

from config import Settings

TEST_KEY = "test-ingest-key-0123456789"
DATABASE_URL = os.environ.get("TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/mailflow_test")
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


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


@pytest.fixture
def settings() -> Settings:
    """Default test settings."""
    return make_settings()
