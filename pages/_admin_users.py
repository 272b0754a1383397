"""The admin page's user management callback (pages/admin.py holds the rest): create a user with a generated
password, reset a password, disable or enable, switch role. An admin cannot lock themself out from here.
"""

from __future__ import annotations

from dash import Input, Output, State, callback, ctx, no_update
from flask import g

from components import admin
from store import accounts, db
from store.accounts import AccountError
from webauth import identity, passwords


def _create(conn, name: str | None, role: str) -> tuple[str, str]:
    password = passwords.generate()
    accounts.create_user(conn, name or "", passwords.hash_password(password), role)
    return f"User {accounts.check_username(name or '')!r} ({role}) created. Their password, shown once:", password


def _change(conn, who, action: str, pick: str | None) -> tuple[str, str | None]:
    if not pick:
        raise AccountError("pick a user first")
    if pick == who.name and action != "reset":
        raise AccountError("you cannot disable or demote yourself; ask another admin")
    user = accounts.user_by_name(conn, pick)
    if user is None:
        raise AccountError(f"no user {pick!r}")
    if action == "reset":
        password = passwords.generate()
        accounts.set_password(conn, pick, passwords.hash_password(password))
        return f"New password for {pick!r} (their sessions ended), shown once:", password
    if action == "toggle":
        accounts.set_disabled(conn, pick, not user["disabled"])
        return f"User {pick!r} {'enabled' if user['disabled'] else 'disabled'}; their sessions ended.", None
    role = "viewer" if user["role"] == "admin" else "admin"
    accounts.set_role(conn, pick, role)
    return f"User {pick!r} is now {role}; their sessions ended.", None


def manage_users(_create_clicks, _reset, _toggle, _promote, name, role, pick):
    """Apply one user action, then list the users."""
    who = getattr(g, "identity", None)
    if who is None or not who.is_admin:
        return no_update, no_update, admin.result("The admin role is required.", ok=False)
    action, message, secret, ok = str(ctx.triggered_id or "").rsplit("-", 1)[-1], None, None, True
    with db.engine().connect() as conn:
        try:
            if action == "create":
                message, secret = _create(conn, name, role if role in accounts.ROLES else "viewer")
            elif action in ("reset", "toggle", "promote"):
                message, secret = _change(conn, who, action, pick)
            conn.commit()
            identity.forget()
        except (AccountError, ValueError) as exc:
            conn.rollback()
            message, ok = str(exc), False
        rows = accounts.users(conn)
    return (admin.table("users", rows, ["username", "role", "disabled", "created_at", "last_login_at"]),
            admin.choices(rows, "username", "username"), admin.result(message, secret, ok))


def register() -> None:
    """Register the callback with the Dash app being built: pages/admin.py calls this, and Dash executes that page
    module once per app, where a plain import of this module would register it for the first app only."""
    callback(Output("admin-users-list", "children"), Output("admin-users-pick", "options"),
             Output("admin-users-result", "children"),
             *[Input(f"admin-users-{a}", "n_clicks") for a in ("create", "reset", "toggle", "promote")],
             State("admin-users-name", "value"), State("admin-users-role", "value"),
             State("admin-users-pick", "value"))(manage_users)
