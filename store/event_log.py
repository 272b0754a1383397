"""Raw event reads (the only ones): the filtered event list, keyset-paginated newest first on the unique
(ts, event_id) index with an opaque cursor, and the timeline of one message (queue id).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from datetime import UTC, datetime, timedelta

from sqlalchemy.engine import Connection

from pipeline import inet
from store import queries
from store.filters import FilterError, Filters, iso, text_value

MAX_TIMELINE = 1000
# A substring q is a scan of the range (about 1 us per event); a trigram index would make it instant but costs the
# ingest path ~10x on inserts (bench/RESULTS.md), so its span is capped. A whole address or Message-ID is an index
# lookup (0015_search_gin.sql) and searches any range.
MAX_SEARCH_SPAN = timedelta(days=7)
# one token with one @ and something on both sides, optionally in <>: an address or a Message-ID
_EXACT = re.compile(r"<?([^\s<>@]+@[^\s<>@]+)>?")
# up to a day, walking the time index newest first wins (common terms stop early); beyond, a parallel scan does
SCAN_SEARCH_AFTER = timedelta(hours=24)


def encode_cursor(ts: datetime, event_id: str) -> str:
    """The opaque position after an event: base64url of [ISO time with microseconds, event_id]."""
    raw = json.dumps([ts.isoformat(), event_id], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    """The (ts, event_id) a cursor stands for; FilterError when it is not one this API issued."""
    try:
        if len(cursor) > 600:
            raise ValueError
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        ts, event_id = json.loads(raw)
        value = datetime.fromisoformat(ts)
        if value.tzinfo is None or not isinstance(event_id, str):
            raise ValueError
        return value, text_value("cursor", event_id, 128) if event_id else event_id
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError, RecursionError):
        raise FilterError("cursor is not valid (pass back next_cursor unchanged)") from None


def like_pattern(q: str) -> str:
    """A substring ILIKE pattern with the user's % _ and \\ taken literally."""
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def search_mode(q: str | None) -> str | None:
    """How q is searched: "exact" for a whole address or Message-ID (indexed, any range), else "substring"."""
    if not q:
        return None
    return "exact" if _EXACT.fullmatch(q.strip()) else "substring"


def exact_terms(q: str) -> dict:
    """The parameters of an exact search: the address lower-cased, the Message-ID with and without <>."""
    bare = _EXACT.fullmatch(q.strip()).group(1)
    return {"address": bare.lower(), "bare_id": bare, "bracketed_id": f"<{bare}>"}


def _search_terms(q: str | None, f: Filters) -> dict:
    """event_page's search parameters for q (none, exact or substring), refusing a substring over too long."""
    mode = search_mode(q)
    if mode == "exact":
        return exact_terms(q) | {"pattern": None}
    if mode == "substring" and f.end - f.start > MAX_SEARCH_SPAN:
        raise FilterError(f"a partial search (not a whole address or Message-ID) reads every event of the range, so it "
                          f"covers at most {MAX_SEARCH_SPAN.days} days; narrow from/to or range, or search for a "
                          f"whole address or Message-ID (any range)")
    return {"pattern": like_pattern(q) if q else None, "address": None, "bare_id": None, "bracketed_id": None}


def ip_value(raw: str) -> str:
    """A sending-IP filter: an IPv4 or IPv6 address in the text form rollup keys use (pipeline.inet)."""
    value = inet.canonical(raw.strip())
    if value is None:
        raise FilterError(f"ip must be an IPv4 or IPv6 address (without a %zone), not {raw[:45]!r}")
    return value


def _event(row) -> dict:
    event = dict(row._mapping)
    ts = event.pop("ts").astimezone(UTC)
    event["timestamp"] = ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"
    if event["spam_score"] is not None:  # a real column: drop float32 noise (2.35, not 2.3499999)
        event["spam_score"] = round(event["spam_score"], 3)
    return event


def event_page(conn: Connection, f: Filters, *, event_type: str | None = None, queue_id: str | None = None,
               q: str | None = None, ip: str | None = None, sender: str | None = None, cursor: str | None = None,
               limit: int = 50) -> dict:
    """One page of events in [f.start, f.end) newest first, and the cursor of the next page (None at the end);
    `ip` keeps the events sent from that local IP, `sender` those whose sender address is in that domain."""
    terms = _search_terms(q, f)
    cursor_ts, cursor_id = decode_cursor(cursor) if cursor else (f.end, "")
    params = f.params() | terms | {"event_type": event_type, "queue_id": queue_id, "limit": limit + 1,
                                   "ip": ip_value(ip) if ip else None,
                                   "sender": text_value("sender", sender).lower() if sender else None,
                                   "cursor_ts": cursor_ts, "cursor_id": cursor_id}
    queries.execute(conn, "custom_plans")
    queries.execute(conn, "raw_statement_timeout")
    if terms["pattern"] and f.end - f.start > SCAN_SEARCH_AFTER:
        queries.execute(conn, "scan_for_search")
    rows = queries.execute(conn, "event_page", params).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return {"range": {"start": iso(f.start), "end": iso(f.end)}, "search": search_mode(q),
            "events": [_event(r) for r in rows],
            "next_cursor": encode_cursor(rows[-1].ts, rows[-1].event_id) if more else None}


def message_events(conn: Connection, queue_id: str) -> list[dict]:
    """Every event of one message in time order (at most MAX_TIMELINE)."""
    rows = queries.execute(conn, "message_events", {"queue_id": queue_id, "limit": MAX_TIMELINE}).all()
    return [_event(r) for r in rows]
