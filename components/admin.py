"""The admin page's drawing: one card per managed thing (ingest keys, wall-screen tokens, users, dead letters,
active sessions), each a table plus a small form. Secrets appear once, in the result line of the action that
created them.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.grid import column, grid

ROLES = (("viewer", "viewer: pages and read API"), ("admin", "admin: also keys, users, dead letters"))


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


COUNTS = {"failed_jobs"}  # numeric columns (right-aligned); everything else is shown as text


def _cell(column_id: str, value):
    if column_id in COUNTS:
        return value
    return _when(value) if column_id.endswith("_at") else str(value if value is not None else "")


def table(section: str, rows: list[dict], columns: list[str]):
    """A read-only grid; values are drawn as text (never as HTML), numbers right-aligned."""
    data = [{c: _cell(c, r.get(c)) for c in columns} for r in rows]
    defs = [column(c, c.replace("_", " "), "count" if c in COUNTS else "text",
                   **({"minWidth": 200} if c.endswith("_at") else {})) for c in columns]  # a whole timestamp
    return grid(f"admin-{section}-table", defs, data, page_size=10, filters=False)


def choices(rows: list[dict], value_key: str, label_key: str) -> list[dict]:
    """Dropdown options for the live rows."""
    return [{"label": str(r[label_key]), "value": r[value_key]} for r in rows if not r.get("revoked_at")]


def result(message: str | None, secret: str | None = None, ok: bool = True) -> html.Div | None:
    """The outcome line of an action; a new secret is shown in a code block, once."""
    if not message:
        return None
    body = [html.Div(message)] + ([html.Code(secret, className="user-select-all d-block mt-1")] if secret else [])
    return dbc.Alert(body, color="success" if ok else "danger", className="py-2 mt-2 mb-0")


def _card(title: str, section: str, form: list) -> dbc.Col:
    body = [html.Div(id=f"admin-{section}-list"), dbc.Row(form, className="g-2 mt-2 align-items-center"),
            html.Div(id=f"admin-{section}-result")]
    return dbc.Col(dbc.Card([dbc.CardHeader(title), dbc.CardBody(body)], className="h-100 shadow-sm"), lg=6)


def _button(section: str, action: str, label: str, color: str = "primary") -> dbc.Col:
    return dbc.Col(dbc.Button(label, id=f"admin-{section}-{action}", color=color, size="sm", n_clicks=0),
                   width="auto")


def _name(section: str, placeholder: str) -> dbc.Col:
    return dbc.Col(dbc.Input(id=f"admin-{section}-name", placeholder=placeholder, maxlength=64, size="sm"))


def _pick(section: str, placeholder: str) -> dbc.Col:
    return dbc.Col(dcc.Dropdown(id=f"admin-{section}-pick", placeholder=placeholder, clearable=True))


def layout() -> html.Div:
    """The admin page skeleton (callbacks fill the lists)."""
    keys = [_name("keys", "new key name, e.g. mta-03"), _button("keys", "create", "Create key"),
            _pick("keys", "key to revoke"), _button("keys", "revoke", "Revoke", "danger")]
    kiosk = [_name("kiosk", "wall screen name, e.g. NOC left"), _button("kiosk", "create", "Create link"),
             _pick("kiosk", "link to revoke"), _button("kiosk", "revoke", "Revoke", "danger")]
    role = dbc.Col(dbc.Select(id="admin-users-role", value="viewer", size="sm",
                              options=[{"label": lbl, "value": v} for v, lbl in ROLES]))
    users = [_name("users", "new username"), role, _button("users", "create", "Create user"),
             html.Div(className="w-100"), _pick("users", "user"),  # a Bootstrap row break: two lines of actions
             _button("users", "reset", "New password", "secondary"), _button("users", "toggle", "Disable / enable",
                                                                              "danger"),
             _button("users", "promote", "Switch role", "secondary")]
    dead = [html.Div(id="admin-dead-list"), _button("dead", "requeue", "Re-queue all", "warning"),
            html.Div(id="admin-dead-result")]
    return html.Div([
        dbc.Row([_card("Ingest keys", "keys", keys), _card("Wall-screen links (kiosk tokens)", "kiosk", kiosk)],
                className="g-3 mb-3"),
        dbc.Row([_card("Users", "users", users),
                 dbc.Col(dbc.Card([dbc.CardHeader("Dead letters"), dbc.CardBody(dead)], className="h-100"), lg=6)],
                className="g-3"),
        sessions_card(),
    ], id="admin-page")


SESSION_COLUMNS = (("who", "user"), ("ip", "IP"), ("started", "started"), ("last_seen", "last seen"),
                   ("user_agent", "browser"), ("end", ""))


def session_rows(rows: list[dict], own_id: int | None) -> list[dict]:
    """The active sessions as table rows; the End cell of the caller's own session says so instead."""
    return [{"id": str(r["id"]), "who": str(r["who"]), "ip": r["ip"] or "", "started": _when(r["created_at"]),
             "last_seen": _when(r["last_seen_at"]), "user_agent": (r["user_agent"] or "")[:60],
             "end": "this session" if r["id"] == own_id else "End"} for r in rows]


def sessions_card() -> dbc.Card:
    """Active sessions (users and wall screens): click End in a row to end that one, or end all others."""
    columns = [column(c, n) for c, n in SESSION_COLUMNS[:-1]]
    # the End cell reads as a red action (a CSS class from assets/mailflow.css), not as data
    columns.append(column("end", "", sortable=False, cellClassRules={"mf-grid-action": "params.value === 'End'"}))
    table = grid("admin-sessions-table", columns, page_size=15, row_id="id", filters=False)
    body = [table, dbc.Row([_button("sessions", "endall", "End all other sessions", "danger")], className="mt-2"),
            html.Div(id="admin-sessions-result")]
    return dbc.Card([dbc.CardHeader("Active sessions"), dbc.CardBody(body)], className="shadow-sm mt-3")


def forbidden() -> html.Div:
    """What a non-admin sees at /admin."""
    return dbc.Alert("The admin page needs the admin role.", color="warning", id="admin-forbidden")
