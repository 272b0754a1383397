"""Configuration: every environment variable Mailflow reads, parsed, typed and validated in one place.

`Settings.from_env(environ)` raises one `ConfigError` that lists every problem at once, so an operator fixes a
deployment in one pass instead of one restart per typo. Nothing else in the code base reads `os.environ`.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


class ConfigError(ValueError):
    """One or more environment variables are missing or invalid."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("invalid configuration:\n  - " + "\n  - ".join(problems))


@dataclass(frozen=True)
class Settings:
    """Typed, validated configuration of one Mailflow process."""

    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    ingest_api_keys: tuple[str, ...] = ()
    zonemta_nodes: tuple[tuple[str, str], ...] = ()
    raw_retention_days: int = 30
    rollup_retention_days: dict[str, int] = field(
        default_factory=lambda: {"5m": 30, "1h": 400, "1d": 0}
    )
    port: int = 8050
    ingest_max_batch: int = 1000
    ingest_max_body_bytes: int = 1_048_576
    write_batch_max: int = 5000
    write_lease_seconds: int = 60
    write_retry_intervals: tuple[int, ...] = (5, 30, 120)
    spam_threshold: float = 5.0
    ingest_rate_limit: str = "120000/minute"
    db_pool_size: int = 10
    default_refresh_seconds: int = 0
    provider_map_file: str | None = None
    data_dir: str = "./data"
    log_level: str = "INFO"
    # security (README "Security")
    login_rate_limit: str = "10/minute"
    ingest_key_rate_limit: str = "600000/minute"
    ingest_key_cache_seconds: float = 2.0
    auth_cache_seconds: float = 2.0
    session_max_age_hours: int = 12
    session_cookie_secure: str = "auto"
    trust_proxy: int = 0
    frame_ancestors: tuple[str, ...] = ()
    metrics_token: str | None = None
    ws_max_per_user: int = 200
    demo: bool = False  # MAILFLOW_DEMO: the data is generated (make demo); the navbar says so
    # alerts (README "Alerts"): e-mail notifications go through this SMTP server
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_from: str | None = None
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    alert_retry_intervals: tuple[int, ...] = (10, 60, 300)
    alert_history_days: int = 90

    @property
    def embedded(self) -> bool:
        """True when at least one backing service must be started by the launcher."""
        return self.database_url is None or self.redis_url is None

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from an environment mapping; raise ConfigError listing every problem."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        for name, (env, parse) in _FIELDS.items():
            raw = environ.get(env)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = parse(raw.strip())
            except ValueError as exc:
                problems.append(f"{env}={raw!r}: {exc}")
        retention = {"5m": 30, "1h": 400, "1d": 0}
        for res in retention:
            env = f"ROLLUP_{res.upper()}_RETENTION_DAYS"
            if environ.get(env, "").strip():
                try:
                    retention[res] = _nonneg_int(environ[env].strip())
                except ValueError as exc:
                    problems.append(f"{env}={environ[env]!r}: {exc}")
        values["rollup_retention_days"] = retention
        problems += _smtp_problems(values)
        if problems:
            raise ConfigError(problems)
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some fields changed (tests and the launcher use it)."""
        return dataclasses.replace(self, **changes)

    def configure_logging(self) -> None:
        """Set up root logging once per process at the configured level."""
        logging.basicConfig(
            level=self.log_level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def _url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    def parse(raw: str) -> str:
        if not raw.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return raw

    return parse


def _int_between(low: int, high: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def _nonneg_int(raw: str) -> int:
    return _int_between(0, 100_000)(raw)


def _keys(raw: str) -> tuple[str, ...]:
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ValueError("every key must be at least 16 characters long")
    return keys


def _nodes(raw: str) -> tuple[tuple[str, str], ...]:
    nodes = []
    for item in (part.strip() for part in raw.split(",") if part.strip()):
        name, sep, url = item.partition("=")
        if not sep or not name.strip() or not url.strip().startswith(("http://", "https://")):
            raise ValueError(f"{item!r} is not name=http://host:port")
        nodes.append((name.strip(), url.strip().rstrip("/")))
    names = [n for n, _ in nodes]
    if len(set(names)) != len(names):
        raise ValueError("node names must be unique")
    return tuple(nodes)


def _intervals(raw: str) -> tuple[int, ...]:
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ValueError("must be a comma-separated list of whole seconds") from None
    if not values or any(v < 0 for v in values):
        raise ValueError("must list at least one non-negative number of seconds")
    return values


_RATE = re.compile(r"^\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def _rate(raw: str) -> str:
    if not all(_RATE.match(part) for part in re.split(r"[;,]", raw)):
        raise ValueError("must be a rate limit like '1000/minute' or '50/second;2000/minute'")
    return raw


def _flag(raw: str) -> bool:
    value = raw.lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError("must be 1/true/yes or 0/false/no")
    return value in ("1", "true", "yes")


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError("must be a number") from None


def _log_level(raw: str) -> str:
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return raw.upper()


def _secret(raw: str) -> str:
    if len(raw) < 16:
        raise ValueError("must be at least 16 characters long")
    return raw


def _seconds_upto(high: float) -> Callable[[str], float]:
    def parse(raw: str) -> float:
        value = _float(raw)
        if not 0 <= value <= high:
            raise ValueError(f"must be between 0 and {high} seconds")
        return value

    return parse


def _secure(raw: str) -> str:
    value = raw.lower()
    if value in ("1", "true", "yes"):
        return "true"
    if value in ("0", "false", "no"):
        return "false"
    if value != "auto":
        raise ValueError("must be true, false or auto (Secure when the request came over HTTPS)")
    return value


_ORIGIN = re.compile(r"^(https?://[a-z0-9.*-]+(:\d+)?|'self')$", re.IGNORECASE)


def _origins(raw: str) -> tuple[str, ...]:
    origins = tuple(part for part in re.split(r"[\s,]+", raw) if part)
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise ValueError(f"not an origin like https://wall.example.net or 'self': {', '.join(bad)}")
    return origins


def _smtp_problems(values: dict[str, Any]) -> list[str]:
    if "smtp_host" not in values:
        return [f"{env} is set but SMTP_HOST is not" for env in ("SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD")
                if env.lower() in values]
    problems = [] if "smtp_from" in values else ["SMTP_HOST is set: SMTP_FROM (the sender address) is required"]
    if ("smtp_user" in values) != ("smtp_password" in values):
        problems.append("SMTP_USER and SMTP_PASSWORD go together")
    return problems


def _address(raw: str) -> str:
    if not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", raw):
        raise ValueError("must be one e-mail address like mailflow@example.net")
    return raw


_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("DATABASE_URL", _url(("postgresql://", "postgres://", "postgresql+psycopg://"))),
    "redis_url": ("REDIS_URL", _url(("redis://", "rediss://", "unix://"))),
    "secret_key": ("SECRET_KEY", _secret),
    "ingest_api_keys": ("INGEST_API_KEYS", _keys),
    "zonemta_nodes": ("ZONEMTA_NODES", _nodes),
    "raw_retention_days": ("RAW_RETENTION_DAYS", _int_between(1, 3650)),
    "port": ("PORT", _int_between(1, 65535)),
    "ingest_max_batch": ("INGEST_MAX_BATCH", _int_between(1, 100_000)),
    "ingest_max_body_bytes": ("INGEST_MAX_BODY_BYTES", _int_between(1024, 100 * 1_048_576)),
    "write_batch_max": ("WRITE_BATCH_MAX", _int_between(1, 100_000)),
    "write_lease_seconds": ("WRITE_LEASE_SECONDS", _int_between(1, 3600)),
    "write_retry_intervals": ("WRITE_RETRY_INTERVALS", _intervals),
    "spam_threshold": ("SPAM_THRESHOLD", _float),
    "ingest_rate_limit": ("INGEST_RATE_LIMIT", _rate),
    "db_pool_size": ("DB_POOL_SIZE", _int_between(1, 200)),
    "default_refresh_seconds": ("DEFAULT_REFRESH_SECONDS", _int_between(0, 86_400)),
    "provider_map_file": ("PROVIDER_MAP_FILE", str),
    "data_dir": ("MAILFLOW_DATA_DIR", str),
    "log_level": ("LOG_LEVEL", _log_level),
    "login_rate_limit": ("LOGIN_RATE_LIMIT", _rate),
    "ingest_key_rate_limit": ("INGEST_KEY_RATE_LIMIT", _rate),
    "ingest_key_cache_seconds": ("INGEST_KEY_CACHE_SECONDS", _seconds_upto(2.0)),
    "auth_cache_seconds": ("AUTH_CACHE_SECONDS", _seconds_upto(5.0)),
    "session_max_age_hours": ("SESSION_MAX_AGE_HOURS", _int_between(1, 24 * 90)),
    "session_cookie_secure": ("SESSION_COOKIE_SECURE", _secure),
    "trust_proxy": ("TRUST_PROXY", _int_between(0, 5)),
    "frame_ancestors": ("FRAME_ANCESTORS", _origins),
    "metrics_token": ("METRICS_TOKEN", _secret),
    "ws_max_per_user": ("WS_MAX_PER_USER", _int_between(1, 100_000)),
    "demo": ("MAILFLOW_DEMO", _flag),
    "smtp_host": ("SMTP_HOST", str),
    "smtp_port": ("SMTP_PORT", _int_between(1, 65535)),
    "smtp_from": ("SMTP_FROM", _address),
    "smtp_user": ("SMTP_USER", str),
    "smtp_password": ("SMTP_PASSWORD", str),
    "smtp_starttls": ("SMTP_STARTTLS", _flag),
    "alert_retry_intervals": ("ALERT_RETRY_INTERVALS", _intervals),
    "alert_history_days": ("ALERT_HISTORY_DAYS", _int_between(1, 3650)),
}
