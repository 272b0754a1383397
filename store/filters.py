"""The one argument every read query takes: a validated time range snapped to rollup buckets, plus optional filters.

`Filters.from_query(args)` parses an HTTP query string (or any mapping): `range=1h|6h|24h|7d|30d` (default 24h) or
explicit `from`/`to` (RFC 3339 or epoch milliseconds), `direction`, `node`, `zone`, `domain`, `provider`. It picks
the rollup resolution by span (DESIGN.md 2.6: < 6 h -> 5 min, 6 h-7 d -> 1 h, > 7 d -> 1 day) and widens the range
to whole UTC-aligned buckets, so every bucket returned is complete and its counts are exact. Every problem raises
FilterError (a ValueError) with a message fit for a 400 response.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pipeline.vocabulary import DIRECTIONS

RANGES = {"1h": 3600, "6h": 6 * 3600, "24h": 86400, "7d": 7 * 86400, "30d": 30 * 86400}
DEFAULT_RANGE = "24h"
BUCKETS = {"5m": 300, "1h": 3600, "1d": 86400}
MAX_SPAN = timedelta(days=400)  # the 1 h rollups' default retention; longer spans read 1 d buckets anyway
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)
TEXT_FILTERS = {"node": "mta_node", "zone": "zone", "domain": "to_domain", "provider": "provider"}
_EPOCH_MS = re.compile(r"^\d{1,15}$")
_RFC3339 = re.compile(r"^\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(\.\d{1,9})?([Zz]|[+-]\d\d:\d\d)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class FilterError(ValueError):
    """A query parameter is missing, malformed or not supported by the endpoint."""


def resolution_for(span: timedelta) -> str:
    """Rollup resolution for a span: < 6 h -> 5m, 6 h to 7 d -> 1h, > 7 d -> 1d."""
    if span < timedelta(hours=6):
        return "5m"
    return "1h" if span <= timedelta(days=7) else "1d"


def parse_time(name: str, raw: str) -> datetime:
    """An RFC 3339 timestamp with offset, or integer epoch milliseconds, as an aware UTC datetime."""
    raw = raw.strip()
    try:
        if _EPOCH_MS.match(raw):
            value = datetime.fromtimestamp(int(raw) / 1000, UTC)
        elif _RFC3339.match(raw):
            value = datetime.fromisoformat(raw.upper().replace("Z", "+00:00")).astimezone(UTC)
        else:
            raise ValueError
    except (ValueError, OverflowError, OSError):
        raise FilterError(f"{name} must be an RFC 3339 time with offset (2026-11-28T09:00:00Z) "
                          f"or epoch milliseconds, not {raw[:40]!r}") from None
    if not EARLIEST <= value < LATEST:
        raise FilterError(f"{name} must lie between {EARLIEST.year} and {LATEST.year}")
    return value


def text_value(name: str, raw: str, max_length: int = 255) -> str:
    """A free-text filter value: non-empty, bounded, no control characters."""
    if not raw or len(raw) > max_length or _CONTROL.search(raw):
        raise FilterError(f"{name} must be 1-{max_length} printable characters")
    return raw


def iso(value: datetime) -> str:
    """RFC 3339 UTC with a Z, milliseconds only when present."""
    value = value.astimezone(UTC)
    text = value.strftime("%Y-%m-%dT%H:%M:%S")
    return text + (f".{value.microsecond // 1000:03d}Z" if value.microsecond else "Z")


def _floor(value: datetime, seconds: int) -> datetime:
    epoch = math.floor(value.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


@dataclass(frozen=True)
class Filters:
    """A bucket-aligned [start, end) range at one rollup resolution, with optional filters."""

    start: datetime
    end: datetime
    resolution: str
    direction: str | None = None
    mta_node: str | None = None
    zone: str | None = None
    to_domain: str | None = None
    provider: str | None = None

    @property
    def bucket_seconds(self) -> int:
        """Width of one bucket of the chosen resolution."""
        return BUCKETS[self.resolution]

    @property
    def hours(self) -> float:
        """Length of the range in hours."""
        return (self.end - self.start).total_seconds() / 3600

    @classmethod
    def from_query(cls, args: Mapping[str, str], now: datetime | None = None, snap: bool = True) -> Filters:
        """Parse and validate query parameters; `snap=False` keeps explicit from/to exact (raw event lists)."""
        now = now or datetime.now(UTC)
        start, end = _time_range(args, now)
        resolution = resolution_for(end - start)
        if snap:
            width = BUCKETS[resolution]
            if "range" in args or "from" not in args:
                end = _floor(now, width) + timedelta(seconds=width)
                start = end - timedelta(seconds=RANGES[args.get("range", DEFAULT_RANGE)])
            else:
                start, end = _floor(start, width), _floor(end - timedelta(microseconds=1), width)
                end += timedelta(seconds=width)
        direction = args.get("direction")
        if direction is not None and direction not in DIRECTIONS:
            raise FilterError(f"direction must be one of {', '.join(DIRECTIONS)}")
        texts = {field: text_value(name, args[name]) for name, field in TEXT_FILTERS.items() if name in args}
        if "to_domain" in texts:  # stored lower-cased (EVENT_SCHEMA.md)
            texts["to_domain"] = texts["to_domain"].lower()
        return cls(start, end, resolution, direction, **texts)

    def replace(self, **changes) -> Filters:
        """A copy with some fields changed."""
        return dataclasses.replace(self, **changes)

    def dimension(self) -> tuple[str, str] | None:
        """('domain', x) or ('provider', x) when the query must read email_dim_*; None for email_stats_*."""
        if self.to_domain is not None and self.provider is not None:
            raise FilterError("filter by domain or by provider, not both (the per-key rollups hold one at a time)")
        if (self.to_domain or self.provider) and (self.mta_node or self.zone):
            raise FilterError("node and zone cannot be combined with domain or provider "
                              "(the per-domain/provider rollups have no node or zone key)")
        if self.to_domain is not None:
            return "domain", self.to_domain
        return ("provider", self.provider) if self.provider is not None else None

    def table(self, kind: str) -> str:
        """The rollup relation of this resolution: kind is 'email_stats' or 'email_dim'."""
        return f"{kind}_{self.resolution}"

    def pieces(self) -> list[Filters]:
        """The range cut into the coarsest whole buckets (7 d: partial days hourly, whole days daily), for sums
        over the whole range: far fewer rollup rows, and still exact, as every resolution holds the same events."""
        return [self.replace(start=s, end=e, resolution=r) for s, e, r in _cut(self.start, self.end, self.resolution)]

    def buckets(self) -> list[datetime]:
        """Every bucket start in [start, end)."""
        step = timedelta(seconds=self.bucket_seconds)
        return [self.start + i * step for i in range(int((self.end - self.start) / step))]

    def params(self) -> dict:
        """The bind parameters every named query may use (unused keys are ignored by text())."""
        dim = "domain" if self.to_domain is not None else "provider" if self.provider is not None else None
        return {"start": self.start, "end": self.end, "direction": self.direction, "node": self.mta_node,
                "zone": self.zone, "domain": self.to_domain, "provider": self.provider,
                "dim": dim, "key": self.to_domain if dim == "domain" else self.provider}

    def describe(self) -> dict:
        """The effective range and filters, echoed in every response."""
        return {"start": iso(self.start), "end": iso(self.end), "resolution": self.resolution,
                "bucket_seconds": self.bucket_seconds, "direction": self.direction, "node": self.mta_node,
                "zone": self.zone, "domain": self.to_domain, "provider": self.provider}


def _cut(start: datetime, end: datetime, resolution: str) -> list[tuple[datetime, datetime, str]]:
    coarser = [r for r in BUCKETS if BUCKETS[r] > BUCKETS[resolution]]
    if not coarser:
        return [(start, end, resolution)]
    width = BUCKETS[coarser[0]]
    low = _floor(start - timedelta(microseconds=1), width) + timedelta(seconds=width)
    high = _floor(end, width)
    if low >= high:
        return [(start, end, resolution)]
    edges = [(start, low, resolution), *_cut(low, high, coarser[0]), (high, end, resolution)]
    return [(s, e, r) for s, e, r in edges if s < e]


def _time_range(args: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    if "range" in args and ("from" in args or "to" in args):
        raise FilterError("give either range or from/to, not both")
    if "from" not in args:
        if "to" in args:
            raise FilterError("to needs from")
        name = args.get("range", DEFAULT_RANGE)
        if name not in RANGES:
            raise FilterError(f"range must be one of {', '.join(RANGES)}")
        return now - timedelta(seconds=RANGES[name]), now
    start = parse_time("from", args["from"])
    end = parse_time("to", args["to"]) if "to" in args else now
    if end <= start:
        raise FilterError("from must be before to")
    if end - start > MAX_SPAN:
        raise FilterError(f"the range may span at most {MAX_SPAN.days} days")
    return start, end
