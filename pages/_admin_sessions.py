"""The admin page's sessions card callback: list the active sessions (users and wall screens) and end one (a click
on its End cell, the grid's cellClicked) or every other one. Ending deletes the server-side record, so the cookie
stops working everywhere, within AUTH_CACHE_SECONDS in other web processes.
"""

from __future__ import annotations

from dash import Input, Output, callback, ctx, no_update
from flask import g

from components import admin
from store import db, sessions
from webauth import identity


def _clicked_end(cell: dict | None, own_id: int | None) -> bool:
    """A click on the End cell of a session other than the caller's own (row ids are the session ids as text)."""
    row_id = (cell or {}).get("rowId")
    return (cell or {}).get("colId") == "end" and str(row_id or "").isdigit() and int(row_id) != own_id


def manage_sessions(cell, end_all):
    """End the clicked session, or all but the caller's own, then list the active ones."""
    who = getattr(g, "identity", None)
    if who is None or not who.is_admin:
        return no_update, admin.result("The admin role is required.", ok=False)
    message = None
    with db.engine().begin() as conn:
        if ctx.triggered_id == "admin-sessions-endall" and end_all:
            message = f"Ended {sessions.end_all_but(conn, who.session_id)} session(s); yours stays."
        elif ctx.triggered_id == "admin-sessions-table" and _clicked_end(cell, who.session_id):
            ended = sessions.end_by_id(conn, int(cell["rowId"]))
            message = "Session ended: its cookie no longer works." if ended else "That session had already ended."
        rows = sessions.active(conn)
    if message:
        identity.forget()
    return admin.session_rows(rows, who.session_id), admin.result(message)


def register() -> None:
    """Register the callback with the Dash app being built: pages/admin.py calls this, and Dash executes that page
    module once per app, where a plain import of this module would register it for the first app only."""
    callback(Output("admin-sessions-table", "rowData"), Output("admin-sessions-result", "children"),
             Input("admin-sessions-table", "cellClicked"), Input("admin-sessions-endall", "n_clicks"))(manage_sessions)
