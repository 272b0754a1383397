"""Who is asking: the identity behind a session cookie, checked against PostgreSQL on every request.

A user session holds the user id, the user's session epoch and the login time; it is refused once the user is
disabled, changes password or role (epoch bump) or the session is older than SESSION_MAX_AGE_HOURS. A kiosk
session holds a kiosk-token id and is refused once the token is revoked. Lookups are cached per process for at most
AUTH_CACHE_SECONDS (≤ 5 s, default 2), which bounds how long a revocation takes to bite.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app, session

from store import accounts, db

_cache: dict[tuple[str, int], tuple[Any, float]] = {}
_lock = threading.Lock()


@dataclass(frozen=True)
class Identity:
    """An authenticated requester: a user (viewer or admin) or a wall screen (kiosk, viewer rights)."""

    kind: str
    name: str
    role: str
    user_id: int | None = None

    @property
    def is_admin(self) -> bool:
        """Whether admin actions are allowed."""
        return self.kind == "user" and self.role == "admin"


def current() -> Identity | None:
    """The identity of this request's session, or None (no session, or no longer valid)."""
    settings = current_app.extensions["settings"]
    if "uid" in session:
        if time.time() - float(session.get("at", 0)) > settings.session_max_age_hours * 3600:
            return None
        user = _cached("user", int(session["uid"]), settings.auth_cache_seconds)
        if user is None or user["disabled"] or user["session_epoch"] != session.get("epoch"):
            return None
        return Identity("user", user["username"], user["role"], user["id"])
    if "kiosk" in session:
        name = _cached("kiosk", int(session["kiosk"]), settings.auth_cache_seconds)
        return Identity("kiosk", name, "viewer") if name else None
    return None


def _cached(kind: str, ident: int, ttl: float) -> Any:
    now = time.monotonic()
    hit = _cache.get((kind, ident))
    if hit is not None and hit[1] > now:
        return hit[0]
    value = _load(kind, ident)
    if ttl > 0:
        with _lock:
            if len(_cache) > 10_000:
                _cache.clear()
            _cache[(kind, ident)] = (value, now + ttl)
    return value


def _load(kind: str, ident: int) -> Any:
    with db.engine().connect() as conn:
        if kind == "user":
            return accounts.user_by_id(conn, ident)
        return accounts.kiosk_name(conn, ident)


def forget() -> None:
    """Drop every cached lookup of this process (after an admin change made here, and in tests)."""
    with _lock:
        _cache.clear()
