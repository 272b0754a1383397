"""Dashboard users and wall-screen (kiosk) tokens in PostgreSQL. Secrets arrive hashed: this module never sees a
password or a token in clear, and never decides who may log in (webauth does).
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from store.queries import execute

ROLES = ("viewer", "admin")
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")


class AccountError(ValueError):
    """A user or token operation that cannot be done (bad name, duplicate, unknown user)."""


def normalise_username(username: str) -> str:
    """The one form of a login name, used for the lookup, the per-username login limit and user creation alike:
    NFKC-folded and case-folded (so 'ＡＤＭＩＮ', ' Admin ' and 'admin' are one name), surrounding space stripped.
    Look-alikes NFKC does not fold (Cyrillic 'а') stay distinct and can never name a user (ASCII only)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold()).strip()


def check_username(username: str) -> str:
    """The normalised username; AccountError when it is not 1-64 of a-z 0-9 . _ @ -."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AccountError("a username is 1-64 characters: a-z, 0-9, '.', '_', '@' or '-'")
    return name


def _check_role(role: str) -> str:
    if role not in ROLES:
        raise AccountError(f"role must be one of {', '.join(ROLES)}")
    return role


def user_count(conn: Connection) -> int:
    """How many users exist."""
    return execute(conn, "user_count").scalar_one()


def user_by_name(conn: Connection, username: str) -> dict[str, Any] | None:
    """The user with this name (password hash included), or None."""
    row = execute(conn, "user_by_name", {"username": normalise_username(username)}).mappings().first()
    return dict(row) if row else None


def user_by_id(conn: Connection, user_id: int) -> dict[str, Any] | None:
    """The user with this id (no password hash), or None."""
    row = execute(conn, "user_by_id", {"id": user_id}).mappings().first()
    return dict(row) if row else None


def users(conn: Connection) -> list[dict[str, Any]]:
    """Every user without secrets, by name."""
    return [dict(r) for r in execute(conn, "user_list").mappings()]


def create_user(conn: Connection, username: str, password_hash: str, role: str) -> int:
    """Insert a user; AccountError when the name is taken or invalid."""
    params = {"username": check_username(username), "password_hash": password_hash, "role": _check_role(role)}
    try:
        with conn.begin_nested():
            return execute(conn, "user_insert", params).scalar_one()
    except IntegrityError:
        raise AccountError(f"user {params['username']!r} already exists") from None


def _update_one(conn: Connection, name: str, params: dict[str, Any]) -> None:
    if execute(conn, name, params).first() is None:
        raise AccountError(f"no user {params['username']!r}")


def set_password(conn: Connection, username: str, password_hash: str, end_sessions: bool = True) -> None:
    """Store a new password hash; by default every existing session of the user ends."""
    _update_one(conn, "user_set_password", {"username": check_username(username), "password_hash": password_hash,
                                            "bump": 1 if end_sessions else 0})


def set_disabled(conn: Connection, username: str, disabled: bool) -> None:
    """Disable (or re-enable) a user; existing sessions end either way."""
    _update_one(conn, "user_set_disabled", {"username": check_username(username), "disabled": disabled})


def set_role(conn: Connection, username: str, role: str) -> None:
    """Change a user's role; existing sessions end."""
    _update_one(conn, "user_set_role", {"username": check_username(username), "role": _check_role(role)})


def logged_in(conn: Connection, user_id: int) -> None:
    """Record a successful login."""
    execute(conn, "user_logged_in", {"id": user_id})


def create_kiosk(conn: Connection, name: str, token_hash: str, created_by: str | None) -> int:
    """Insert a kiosk token (its hash); returns the token id."""
    name = name.strip()
    if not 1 <= len(name) <= 64 or not name.isprintable():
        raise AccountError("a kiosk name is 1-64 printable characters")
    return execute(conn, "kiosk_insert", {"name": name, "token_hash": token_hash,
                                          "created_by": created_by}).scalar_one()


def kiosk_by_hash(conn: Connection, token_hash: str) -> dict[str, Any] | None:
    """The live token with this hash ({id, name}), or None."""
    row = execute(conn, "kiosk_by_hash", {"token_hash": token_hash}).mappings().first()
    return dict(row) if row else None


def kiosk_name(conn: Connection, token_id: int) -> str | None:
    """The name of a live token; None once revoked (or unknown)."""
    return execute(conn, "kiosk_live", {"id": token_id}).scalar()


def revoke_kiosk(conn: Connection, token_id: int) -> bool:
    """Revoke a token; False when it was unknown or already revoked."""
    return execute(conn, "kiosk_revoke", {"id": token_id}).first() is not None


def kiosks(conn: Connection) -> list[dict[str, Any]]:
    """Every kiosk token without secrets, newest first."""
    return [dict(r) for r in execute(conn, "kiosk_list").mappings()]
