"""The page shell: top bar (product, page tabs, global time range, auto-refresh, theme, live status) around Dash's
page container, plus the global URL, refresh interval and error banner every page shares.

Range, refresh, theme and kiosk live in the URL query (`?range=24h&refresh=30&kiosk=1`), so any view is a bookmark
and a wall screen is just a URL. The shell only draws; its callbacks live in components/urlstate.py.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

RANGES = [("1h", "Last hour"), ("6h", "Last 6 hours"), ("24h", "Last 24 hours"), ("7d", "Last 7 days"),
          ("30d", "Last 30 days"), ("custom", "Custom …")]
REFRESH = [("0", "Refresh off"), ("10", "Every 10 s"), ("30", "Every 30 s"), ("60", "Every minute"),
           ("300", "Every 5 min")]


def _nav_links(is_admin: bool = False) -> list:
    return [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], id=f"nav-{page['module'].split('.')[-1]}",
                                active="exact", className="px-3"))
        for page in dash.page_registry.values()
        if not page.get("hide_nav") or (is_admin and page.get("admin_only"))
    ]


def _account(user: str | None, csrf: str | None) -> html.Div | None:
    # a plain HTML form: logout is a CSRF-checked POST that works without any callback
    if not user:
        return None
    return html.Form([html.Span(user, className="text-light small me-2", id="shell-user"),
                      dcc.Input(type="hidden", name="csrf", value=csrf or ""),
                      html.Button("Log out", type="submit", id="shell-logout",
                                  className="btn btn-outline-light btn-sm")],
                     action="/logout", method="POST", className="d-flex align-items-center ms-3 mb-0")


def _select(id_: str, options: list[tuple[str, str]], value: str, width: str) -> dbc.Select:
    return dbc.Select(id=id_, options=[{"label": lbl, "value": v} for v, lbl in options], value=value, size="sm",
                      style={"width": width}, className="me-2")


def _controls() -> html.Div:
    custom = html.Div(
        [dbc.Input(id="shell-from", type="datetime-local", size="sm", className="me-1", debounce=True),
         dbc.Input(id="shell-to", type="datetime-local", size="sm", className="me-2", debounce=True)],
        id="shell-custom", className="d-none", title="custom range (UTC)")
    return html.Div(
        [_select("shell-range", RANGES, "24h", "10.5rem"), custom,
         _select("shell-refresh", REFRESH, "0", "9rem"),
         dbc.Switch(id="shell-dark", label="Dark", value=False, className="text-light me-3 mb-0"),
         dbc.Badge("connecting", id="live-status", color="secondary", className="live-status")],
        className="d-flex align-items-center ms-auto flex-wrap",
    )


def _demo_badge() -> dbc.Badge:
    # generated data must never pass for a real site's: said in the top bar and, on wall screens, in a corner
    return dbc.Badge("DEMO", id="shell-demo", color="warning", text_color="dark", className="demo-badge me-3",
                     title="Generated demo data (make demo): not a real mail site")


def layout(user: str | None = None, is_admin: bool = False, csrf: str | None = None,
           demo: bool = False) -> html.Div:
    """The whole-app layout: location, refresh timer, top bar (with the logged-in user), error banner, pages."""
    bar = dbc.Navbar(
        dbc.Container([dbc.NavbarBrand("✉ Mailflow", href="/", className="fw-bold " + ("me-2" if demo else "me-4")),
                       _demo_badge() if demo else None,
                       dbc.Nav(_nav_links(is_admin), pills=True, className="me-auto"), _controls(),
                       _account(user, csrf)], fluid=True),
        id="shell-navbar", color="dark", dark=True, className="mb-3 shell-navbar",
    )
    return html.Div(
        [dcc.Location(id="url", refresh="callback-nav"),
         dcc.Interval(id="shell-interval", interval=30_000, disabled=True),
         dcc.Store(id="shell-theme", data="light"),
         dcc.Store(id="shell-sink"),
         bar,
         html.Div("DEMO", className="demo-corner", title="Generated demo data") if demo else None,
         dbc.Container([dbc.Alert(id="shell-alert", is_open=False, color="danger", dismissable=True,
                                  className="shell-alert"),
                        dash.page_container], fluid=True, id="shell-body")],
        id="shell",
    )
