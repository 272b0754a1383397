"""Configuration: every environment variable Mailflow reads, parsed, typed and validated in one place.

`Settings.from_env(environ)` raises one `ConfigError` that lists every problem at once, so an operator fixes a
deployment in one pass instead of one restart per typo. Nothing else in the code base reads `os.environ`.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from config import parse


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
    provider_map_file: str | None = None
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
        for name, (env, parser) in _FIELDS.items():
            raw = environ.get(env)
            if raw is None or raw.strip() == "":
                continue
            try:
                values[name] = parser(raw.strip())
            except ValueError as exc:
                problems.append(f"{env}={raw!r}: {exc}")
        retention = {"5m": 30, "1h": 400, "1d": 0}
        for res in retention:
            env = f"ROLLUP_{res.upper()}_RETENTION_DAYS"
            if environ.get(env, "").strip():
                try:
                    retention[res] = parse.nonneg_int(environ[env].strip())
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


def _smtp_problems(values: dict[str, Any]) -> list[str]:
    """What the SMTP settings get wrong together (each alone parsed fine)."""
    if "smtp_host" not in values:
        return [f"{env} is set but SMTP_HOST is not" for env in ("SMTP_FROM", "SMTP_USER", "SMTP_PASSWORD")
                if env.lower() in values]
    problems = [] if "smtp_from" in values else ["SMTP_HOST is set: SMTP_FROM (the sender address) is required"]
    if ("smtp_user" in values) != ("smtp_password" in values):
        problems.append("SMTP_USER and SMTP_PASSWORD go together")
    return problems


_FIELDS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "database_url": ("DATABASE_URL", parse.url(("postgresql://", "postgres://", "postgresql+psycopg://"))),
    "redis_url": ("REDIS_URL", parse.url(("redis://", "rediss://", "unix://"))),
    "secret_key": ("SECRET_KEY", parse.secret),
    "ingest_api_keys": ("INGEST_API_KEYS", parse.keys),
    "zonemta_nodes": ("ZONEMTA_NODES", parse.nodes),
    "raw_retention_days": ("RAW_RETENTION_DAYS", parse.int_between(1, 3650)),
    "port": ("PORT", parse.int_between(1, 65535)),
    "ingest_max_batch": ("INGEST_MAX_BATCH", parse.int_between(1, 100_000)),
    "ingest_max_body_bytes": ("INGEST_MAX_BODY_BYTES", parse.int_between(1024, 100 * 1_048_576)),
    "write_batch_max": ("WRITE_BATCH_MAX", parse.int_between(1, 100_000)),
    "write_lease_seconds": ("WRITE_LEASE_SECONDS", parse.int_between(1, 3600)),
    "write_retry_intervals": ("WRITE_RETRY_INTERVALS", parse.intervals),
    "spam_threshold": ("SPAM_THRESHOLD", parse.number),
    "ingest_rate_limit": ("INGEST_RATE_LIMIT", parse.rate),
    "db_pool_size": ("DB_POOL_SIZE", parse.int_between(1, 200)),
    "provider_map_file": ("PROVIDER_MAP_FILE", str),
    "log_level": ("LOG_LEVEL", parse.log_level),
    "login_rate_limit": ("LOGIN_RATE_LIMIT", parse.rate),
    "ingest_key_rate_limit": ("INGEST_KEY_RATE_LIMIT", parse.rate),
    "ingest_key_cache_seconds": ("INGEST_KEY_CACHE_SECONDS", parse.seconds_upto(2.0)),
    "auth_cache_seconds": ("AUTH_CACHE_SECONDS", parse.seconds_upto(5.0)),
    "session_max_age_hours": ("SESSION_MAX_AGE_HOURS", parse.int_between(1, 24 * 90)),
    "session_cookie_secure": ("SESSION_COOKIE_SECURE", parse.secure),
    "trust_proxy": ("TRUST_PROXY", parse.int_between(0, 5)),
    "frame_ancestors": ("FRAME_ANCESTORS", parse.origins),
    "metrics_token": ("METRICS_TOKEN", parse.secret),
    "ws_max_per_user": ("WS_MAX_PER_USER", parse.int_between(1, 100_000)),
    "demo": ("MAILFLOW_DEMO", parse.flag),
    "smtp_host": ("SMTP_HOST", str),
    "smtp_port": ("SMTP_PORT", parse.int_between(1, 65535)),
    "smtp_from": ("SMTP_FROM", parse.address),
    "smtp_user": ("SMTP_USER", str),
    "smtp_password": ("SMTP_PASSWORD", str),
    "smtp_starttls": ("SMTP_STARTTLS", parse.flag),
    "alert_retry_intervals": ("ALERT_RETRY_INTERVALS", parse.intervals),
    "alert_history_days": ("ALERT_HISTORY_DAYS", parse.int_between(1, 3650)),
}
