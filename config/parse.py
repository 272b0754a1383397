"""Parsers for environment values: each takes the raw string and returns the typed value or raises ValueError
with a reason an operator can act on (config.Settings.from_env collects them into one ConfigError).
"""

from __future__ import annotations

import re
from collections.abc import Callable

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")


def url(schemes: tuple[str, ...]) -> Callable[[str], str]:
    """A URL starting with one of `schemes`."""
    def parse(raw: str) -> str:
        if not raw.startswith(schemes):
            raise ValueError(f"must start with one of {', '.join(schemes)}")
        return raw

    return parse


def int_between(low: int, high: int) -> Callable[[str], int]:
    """A whole number in [low, high]."""
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError("must be a whole number") from None
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high}")
        return value

    return parse


def nonneg_int(raw: str) -> int:
    """A whole number from 0 to 100,000."""
    return int_between(0, 100_000)(raw)


def keys(raw: str) -> tuple[str, ...]:
    """Comma-separated API keys, each >= 16 characters."""
    keys = tuple(k.strip() for k in raw.split(",") if k.strip())
    short = [k for k in keys if len(k) < 16]
    if short:
        raise ValueError("every key must be at least 16 characters long")
    return keys


def nodes(raw: str) -> tuple[tuple[str, str], ...]:
    """ZONEMTA_NODES: comma-separated name=http(s)://host:port, unique names."""
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


def intervals(raw: str) -> tuple[int, ...]:
    """Comma-separated non-negative whole seconds."""
    try:
        values = tuple(int(part) for part in raw.split(","))
    except ValueError:
        raise ValueError("must be a comma-separated list of whole seconds") from None
    if not values or any(v < 0 for v in values):
        raise ValueError("must list at least one non-negative number of seconds")
    return values


_RATE = re.compile(r"^\s*\d+\s*(/|per)\s*(\d+\s*)?(second|minute|hour|day)s?\s*$", re.IGNORECASE)


def rate(raw: str) -> str:
    """A limits-style rate ('1000/minute;...')."""
    if not all(_RATE.match(part) for part in re.split(r"[;,]", raw)):
        raise ValueError("must be a rate limit like '1000/minute' or '50/second;2000/minute'")
    return raw


def number(raw: str) -> float:
    """A float."""
    try:
        return float(raw)
    except ValueError:
        raise ValueError("must be a number") from None


def log_level(raw: str) -> str:
    """A logging level name, upper-cased."""
    if raw.upper() not in LOG_LEVELS:
        raise ValueError(f"must be one of {', '.join(LOG_LEVELS)}")
    return raw.upper()


def secret(raw: str) -> str:
    """A secret of >= 16 characters."""
    if len(raw) < 16:
        raise ValueError("must be at least 16 characters long")
    return raw


def seconds_upto(high: float) -> Callable[[str], float]:
    """Seconds in [0, high]."""
    def parse(raw: str) -> float:
        value = number(raw)
        if not 0 <= value <= high:
            raise ValueError(f"must be between 0 and {high} seconds")
        return value

    return parse


def secure(raw: str) -> str:
    """true, false or auto."""
    value = raw.lower()
    if value in ("1", "true", "yes"):
        return "true"
    if value in ("0", "false", "no"):
        return "false"
    if value != "auto":
        raise ValueError("must be true, false or auto (Secure when the request came over HTTPS)")
    return value


_ORIGIN = re.compile(r"^(https?://[a-z0-9.*-]+(:\d+)?|'self')$", re.IGNORECASE)


def origins(raw: str) -> tuple[str, ...]:
    """Space- or comma-separated origins (https://host, 'self')."""
    origins = tuple(part for part in re.split(r"[\s,]+", raw) if part)
    bad = [o for o in origins if not _ORIGIN.match(o)]
    if bad:
        raise ValueError(f"not an origin like https://wall.example.net or 'self': {', '.join(bad)}")
    return origins


def flag(raw: str) -> bool:
    """A yes/no switch: 1/true/yes or 0/false/no (any case)."""
    value = raw.lower()
    if value not in ("1", "true", "yes", "0", "false", "no"):
        raise ValueError("must be 1/true/yes or 0/false/no")
    return value in ("1", "true", "yes")


def address(raw: str) -> str:
    """One e-mail address (a notification sender)."""
    if not re.match(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$", raw):
        raise ValueError("must be one e-mail address like mailflow@example.net")
    return raw
