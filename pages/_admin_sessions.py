"""The admin page's sessions card callback: list the active sessions (users and wall screens) and end one (its End
cell) or every other one. Ending deletes the server-side record, so the cookie stops working everywhere, within
AUTH_CACHE_SECONDS in other web processes.
"""

from __future__ import annotations

from dash import Input, Output, callback, ctx, no_update
from flask import g

from components import admin
from store import db, sessions
from webauth import identity


def manage_sessions(cell, end_all):
    """End the clicked session, or all but the caller's own, then list the active ones."""
    who = getattr(g, "identity", None)
    if who is None or not who.is_admin:
        return no_update, no_update, admin.result("The admin role is required.", ok=False)
    message = None
    with db.engine().begin() as conn:
        if ctx.triggered_id == "admin-sessions-endall" and end_all:
            message = f"Ended {sessions.end_all_but(conn, who.session_id)} session(s); yours stays."
        elif cell and cell.get("column_id") == "end" and cell.get("row_id") not in (None, who.session_id):
            ended = sessions.end_by_id(conn, int(cell["row_id"]))
            message = "Session ended: its cookie no longer works." if ended else "That session had already ended."
        rows = sessions.active(conn)
    if message:
        identity.forget()
    return admin.session_rows(rows, who.session_id), None, admin.result(message)


def register() -> None:
    """Register the callback with the Dash app being built: pages/admin.py calls this, and Dash executes that page
    module once per app, where a plain import of this module would register it for the first app only."""
    callback(Output("admin-sessions-table", "data"), Output("admin-sessions-table", "active_cell"),
             Output("admin-sessions-result", "children"), Input("admin-sessions-table", "active_cell"),
             Input("admin-sessions-endall", "n_clicks"))(manage_sessions)
