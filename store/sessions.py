"""Server-side sessions (table user_sessions): one row per login or wall-screen entry, keyed by the SHA-256 of the
random id the signed cookie carries. Deleting the row ends the session wherever the cookie went; webauth decides
when to create, check and end one. This module never sees the id in clear.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from store.queries import execute

USER_AGENT_MAX = 200


def create(conn: Connection, token_hash: str, seconds: int, ip: str | None, user_agent: str | None,
           user_id: int | None = None, kiosk_id: int | None = None) -> int:
    """Record a session of a user or a kiosk token, valid for `seconds`; returns its row id."""
    if (user_id is None) == (kiosk_id is None):
        raise ValueError("a session belongs to exactly one user or one kiosk token")
    return execute(conn, "session_insert", {
        "token_hash": token_hash, "user_id": user_id, "kiosk_id": kiosk_id, "ip": (ip or "")[:45] or None,
        "user_agent": (user_agent or "")[:USER_AGENT_MAX] or None, "seconds": seconds}).scalar_one()


def lookup(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The live session ({id, last_seen_at, user_id, username, role, kiosk_id, kiosk_name}), or None when it was
    ended, has expired, or its user is disabled or its kiosk token revoked."""
    row = execute(conn, "session_lookup", {"token_hash": token_hash}).mappings().first()
    return dict(row) if row else None


def touch(conn: Connection, token_hash: str) -> None:
    """Move last_seen forward (the statement itself skips sessions seen in the last minute)."""
    execute(conn, "session_touch", {"token_hash": token_hash})


def end(conn: Connection, token_hash: str) -> None:
    """End the session with this id hash (logout)."""
    execute(conn, "session_delete", {"token_hash": token_hash})


def end_by_id(conn: Connection, session_id: int) -> bool:
    """End one session by row id; False when there was none."""
    return execute(conn, "session_delete_by_id", {"id": session_id}).first() is not None


def end_all_but(conn: Connection, keep_id: int | None) -> int:
    """End every session except the row `keep_id` (the caller's own); returns how many ended."""
    return execute(conn, "session_delete_all_but", {"keep": keep_id if keep_id is not None else -1}).rowcount


def active(conn: Connection) -> list[dict[str, Any]]:
    """The unexpired sessions with who, IP, user agent, start and last activity, latest activity first."""
    return [dict(r) for r in execute(conn, "session_list").mappings()]


def delete_expired(conn: Connection) -> int:
    """Delete expired sessions (retention); returns how many."""
    return execute(conn, "session_delete_expired").rowcount
