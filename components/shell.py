"""The page shell: top bar (product, page tabs, global time range and auto-refresh) around Dash's page container.

Range and refresh live in the URL query (`?range=24h&refresh=30`), so any view is a bookmark; `?kiosk=1` hides the
chrome for wall screens. The shell only draws; the callback that keeps the URL in step lives in pages/_shell.py.
"""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html

RANGES = [("1h", "Last hour"), ("6h", "6 hours"), ("24h", "24 hours"), ("7d", "7 days"), ("30d", "30 days")]
REFRESH = [("0", "Refresh off"), ("10", "Every 10 s"), ("30", "Every 30 s"), ("60", "Every minute"),
           ("300", "Every 5 min")]


def _nav_links() -> list:
    return [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], id=f"nav-{page['module']}",
                                active="exact"))
        for page in dash.page_registry.values()
        if not page.get("hide_nav")
    ]


def _controls() -> html.Div:
    return html.Div(
        [
            dbc.Select(id="shell-range", options=[{"label": lbl, "value": v} for v, lbl in RANGES],
                       value="24h", size="sm", className="me-2"),
            dbc.Select(id="shell-refresh", options=[{"label": lbl, "value": v} for v, lbl in REFRESH],
                       value="0", size="sm"),
        ],
        className="d-flex ms-auto",
    )


def layout() -> html.Div:
    """The whole-app layout: location, top bar, page container."""
    bar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Mailflow", href="/", className="fw-bold"),
                dbc.Nav(_nav_links(), pills=True, className="me-auto"),
                _controls(),
            ],
            fluid=True,
        ),
        id="shell-navbar",
        color="dark",
        dark=True,
        className="mb-3",
    )
    return html.Div(
        [dcc.Location(id="url", refresh="callback-nav"), bar,
         dbc.Container(dash.page_container, fluid=True, id="shell-body")],
        id="shell",
    )
