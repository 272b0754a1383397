"""Per-process resources of a worker: settings, Redis connection, database engine; created once per process."""

from __future__ import annotations

import functools
import os

import redis

from config import Settings
from store import db

_chosen: dict[str, Settings] = {}


def use(chosen: Settings) -> None:
    """Run this process's jobs with these settings instead of the environment's (tests, embedding)."""
    _chosen["settings"] = chosen
    _redis_for.cache_clear()


def settings() -> Settings:
    """The chosen settings, else the environment's, validated once per process."""
    if "settings" not in _chosen:
        _chosen["settings"] = Settings.from_env(os.environ)
    return _chosen["settings"]


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
