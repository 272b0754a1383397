"""Who is asking: the identity behind a session cookie, checked against the server-side session record.

The signed cookie holds only `sid`, a random 128-bit session id; PostgreSQL holds its SHA-256 in user_sessions
with the user or kiosk token it belongs to. A session is refused once its row is gone (logout, an admin ended it,
the user was disabled or changed password or role, the kiosk token was revoked), once it expires
(SESSION_MAX_AGE_HOURS for users, KIOSK_SESSION_DAYS for wall screens), or once its user is disabled or its token
revoked. Lookups are cached per process for at most AUTH_CACHE_SECONDS (≤ 5 s, default 2), which bounds how long
an ending takes to bite in other processes; last_seen is written at most once a minute per session.
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask import current_app, request, session

from pipeline import apikeys
from store import db, sessions

KIOSK_SESSION_DAYS = 90
TOUCH_EVERY = timedelta(seconds=60)
_cache: dict[str, tuple[Identity | None, float]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Identity:
    """An authenticated requester: a user (viewer or admin) or a wall screen (kiosk, viewer rights)."""

    kind: str
    name: str
    role: str
    user_id: int | None = None
    session_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Whether admin actions are allowed."""
        return self.kind == "user" and self.role == "admin"


def _token_hash() -> str | None:
    sid = session.get("sid")
    return apikeys.digest(sid) if isinstance(sid, str) and 0 < len(sid) <= 64 else None


def current() -> Identity | None:
    """The identity of this request's session, or None (no session, or no longer valid)."""
    token_hash = _token_hash()
    if token_hash is None:
        return None
    now = time.monotonic()
    hit = _cache.get(token_hash)
    if hit is not None and hit[1] > now:
        return hit[0]
    who = _load(token_hash)
    ttl = current_app.extensions["settings"].auth_cache_seconds
    if ttl > 0:
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[token_hash] = (who, now + ttl)
    return who


def _load(token_hash: str) -> Identity | None:
    with db.engine().begin() as conn:
        row = sessions.lookup(conn, token_hash)
        if row is None:
            return None
        if row["last_seen_at"] < datetime.now(UTC) - TOUCH_EVERY:
            sessions.touch(conn, token_hash)
    if row["user_id"] is not None:
        return Identity("user", row["username"], row["role"], row["user_id"], row["id"])
    return Identity("kiosk", row["kiosk_name"], "viewer", None, row["id"])


def issue(conn, seconds: int, ip: str | None = None, user_agent: str | None = None, *, user_id: int | None = None,
          kiosk_id: int | None = None) -> str:
    """Record a new session valid for `seconds` and return its id (128 random bits), the cookie's `sid`."""
    sid = secrets.token_urlsafe(16)
    sessions.create(conn, apikeys.digest(sid), seconds, ip, user_agent, user_id=user_id, kiosk_id=kiosk_id)
    return sid


def begin(conn, *, user_id: int | None = None, kiosk_id: int | None = None) -> None:
    """Start a fresh session (no fixation: the old cookie content is dropped) for a user or a kiosk token."""
    kiosk = kiosk_id is not None
    hours = current_app.extensions["settings"].session_max_age_hours
    seconds = KIOSK_SESSION_DAYS * 86400 if kiosk else hours * 3600
    sid = issue(conn, seconds, request.remote_addr, request.headers.get("User-Agent"), user_id=user_id,
                kiosk_id=kiosk_id)
    session.clear()
    session.permanent = kiosk  # a wall screen runs for weeks; a user's cookie ends with the browser (or the expiry)
    session["sid"] = sid


def end() -> None:
    """End this request's session on the server and in the cookie."""
    token_hash = _token_hash()
    if token_hash is not None:
        with db.engine().begin() as conn:
            sessions.end(conn, token_hash)
    session.clear()
    forget()


def forget() -> None:
    """Drop every cached lookup of this process (after an ending or admin change made here, and in tests)."""
    with _lock:
        _cache.clear()
