"""Admin page (/admin, admins only): ingest keys, wall-screen links, users and dead letters.

The gate already refuses /admin to non-admins, but Dash callbacks arrive on /_dash-update-component, so every
callback here checks the role again before doing anything. Each secret is shown once and stored only hashed.
"""

from __future__ import annotations

import secrets

import dash
from dash import Input, Output, State, callback, ctx, no_update
from flask import g, request

from components import admin
from pages import _admin_sessions, _admin_users, _context
from pipeline import apikeys, jobs
from store import accounts, db, ingest_keys
from store.accounts import AccountError
from store.ingest_keys import IngestKeyError
from webauth import identity

dash.register_page(__name__, path="/admin", name="Admin", order=9, title="Mailflow: admin", hide_nav=True,
                   admin_only=True)
DENIED = admin.result("The admin role is required.", ok=False)
_admin_users.register()
_admin_sessions.register()


def _admin():
    who = getattr(g, "identity", None)
    return who if who is not None and who.is_admin else None


def layout(**_query):
    """The page for admins; a notice for anyone else."""
    return admin.layout() if _admin() else admin.forbidden()


def _buttons(section: str, *actions: str) -> list[Input]:
    return [Input(f"admin-{section}-{a}", "n_clicks") for a in actions]


def _outputs(section: str) -> list[Output]:
    return [Output(f"admin-{section}-list", "children"), Output(f"admin-{section}-pick", "options"),
            Output(f"admin-{section}-result", "children")]


def _key_action(conn, who, action: str, name: str | None, pick: str | None) -> tuple[str, str | None]:
    if action == "create":
        key = ingest_keys.create(conn, _context.redis_conn(), (name or "").strip(), who.name)
        return f"Key {name!r} created. Copy it now: it is not shown again.", key
    if pick and ingest_keys.revoke(conn, _context.redis_conn(), pick):
        return f"Key {pick!r} revoked: it stops working within 2 seconds.", None
    return "Pick a live key to revoke.", None


def _manage(section: str, act, errors: tuple, listing, columns: list[str], value_key: str, name, pick):
    """The shared shape of the key and kiosk cards: run the clicked action, then list (and offer) the items."""
    who, action = _admin(), str(ctx.triggered_id or "").rsplit("-", 1)[-1]
    if who is None:
        return no_update, no_update, DENIED
    message = secret = None
    ok = True
    with db.engine().connect() as conn:
        try:
            if action in ("create", "revoke"):
                message, secret = act(conn, who, action, name, pick)
        except errors as exc:
            message, ok = str(exc), False
            conn.rollback()
        rows = listing(conn)
    return (admin.table(section, rows, columns), admin.choices(rows, value_key, "name"),
            admin.result(message, secret, ok))


@callback(*_outputs("keys"), *_buttons("keys", "create", "revoke"), State("admin-keys-name", "value"),
          State("admin-keys-pick", "value"))
def manage_keys(_create, _revoke, name, pick):
    """Create or revoke an ingest key, then list them."""
    return _manage("keys", _key_action, (IngestKeyError,), ingest_keys.keys,
                   ["name", "created_by", "created_at", "revoked_at"], "name", name, pick)


def _kiosk_action(conn, who, action: str, name: str | None, pick: int | None) -> tuple[str, str | None]:
    if action == "create":
        token = secrets.token_urlsafe(32)
        accounts.create_kiosk(conn, name or "", apikeys.digest(token), who.name)
        conn.commit()
        return f"Link for {name!r} created. Copy it now: it is not shown again.", f"{request.host_url}kiosk/{token}"
    if pick is not None and accounts.revoke_kiosk(conn, int(pick)):  # its sessions are deleted with it
        conn.commit()
        identity.forget()
        return "Link revoked: screens using it stop within a few seconds.", None
    return "Pick a live link to revoke.", None


@callback(*_outputs("kiosk"), *_buttons("kiosk", "create", "revoke"), State("admin-kiosk-name", "value"),
          State("admin-kiosk-pick", "value"))
def manage_kiosks(_create, _revoke, name, pick):
    """Create or revoke a wall-screen link, then list them."""
    return _manage("kiosk", _kiosk_action, (AccountError, ValueError), accounts.kiosks,
                   ["id", "name", "created_by", "created_at", "revoked_at"], "id", name, pick)


@callback(Output("admin-dead-list", "children"), Output("admin-dead-result", "children"),
          *_buttons("dead", "requeue"))
def manage_dead_letters(_requeue):
    """Show the dead letters per queue; re-queue them all on request."""
    if _admin() is None:
        return no_update, DENIED
    message = None
    if ctx.triggered_id == "admin-dead-requeue":
        message = f"Re-queued {jobs.requeue_failed(_context.redis_conn())} job(s)."
    counts = jobs.dead_letters(_context.redis_conn())
    return admin.table("dead", [{"queue": q, "failed_jobs": n} for q, n in counts.items()],
                       ["queue", "failed_jobs"]), admin.result(message)
