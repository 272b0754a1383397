"""Settings.from_env: defaults, parsing, and one error that lists every problem."""

import pytest

from config import ConfigError, Settings


def test_defaults_without_environment():
    s = Settings.from_env({})
    assert s.embedded and s.port == 8050 and s.raw_retention_days == 30
    assert s.rollup_retention_days == {"5m": 30, "1h": 400, "1d": 0}


def test_values_are_parsed():
    s = Settings.from_env({"DATABASE_URL": "postgresql://u@h/db", "REDIS_URL": "redis://h:6379/0",
                           "INGEST_API_KEYS": "a" * 20 + ", " + "b" * 20, "PORT": "9000",
                           "ZONEMTA_NODES": "mta-01=http://10.0.0.1:12080/, mta-02=http://10.0.0.2:12080",
                           "WRITE_RETRY_INTERVALS": "1,2,3", "ROLLUP_1H_RETENTION_DAYS": "90"})
    assert not s.embedded
    assert s.ingest_api_keys == ("a" * 20, "b" * 20)
    assert s.zonemta_nodes == (("mta-01", "http://10.0.0.1:12080"), ("mta-02", "http://10.0.0.2:12080"))
    assert s.port == 9000 and s.write_retry_intervals == (1, 2, 3) and s.rollup_retention_days["1h"] == 90


def test_every_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"DATABASE_URL": "mysql://x", "PORT": "http", "INGEST_API_KEYS": "short",
                           "ZONEMTA_NODES": "nonsense", "LOG_LEVEL": "LOUD", "INGEST_RATE_LIMIT": "lots"})
    problems = " ".join(info.value.problems)
    for name in ("DATABASE_URL", "PORT", "INGEST_API_KEYS", "ZONEMTA_NODES", "LOG_LEVEL", "INGEST_RATE_LIMIT"):
        assert name in problems
    assert len(info.value.problems) == 6
