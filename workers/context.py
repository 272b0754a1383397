"""Per-process resources of a worker: settings, Redis connection, database engine; created once per process."""

from __future__ import annotations

import functools
import os

import redis

from config import Settings
from store import db


@functools.cache
def settings() -> Settings:
    """Settings from the environment, validated once per process."""
    return Settings.from_env(os.environ)


def redis_conn() -> redis.Redis:
    """This process's Redis client (rebuilt after a fork)."""
    return _redis_for(os.getpid())


@functools.cache
def _redis_for(_pid: int) -> redis.Redis:
    return redis.Redis.from_url(settings().redis_url, health_check_interval=30)


def engine():
    """This process's SQLAlchemy engine."""
    try:
        return db.engine()
    except RuntimeError:
        return db.init_engine(settings().replace(db_pool_size=2))
