"""Flow counters: big numbers the browser animates (count-up) and keeps live from the WebSocket deltas.

The numbers are plain spans tagged `data-kpi="<direction>.<event_type>"`; assets/mailflow.js owns their text, so
React never re-renders them and the animation is not interrupted by a refresh.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import html

from components.theme import TYPE_COLORS, TYPE_LABELS

INBOUND = ("received", "delivered", "rejected", "greylisted")
OUTBOUND = ("received", "delivered", "bounced", "deferred")


def kpi_card(direction: str, event_type: str) -> dbc.Card:
    """One counter: label, live number, rate per hour."""
    key = f"{direction}.{event_type}"
    return dbc.Card(
        dbc.CardBody([
            html.Div(TYPE_LABELS[direction][event_type], className="kpi-label"),
            html.Div("—", className="kpi-value", id=f"kpi-{direction}-{event_type}", **{"data-kpi": key}),
            html.Div("", className="kpi-rate", **{"data-kpi-rate": key}),
        ]),
        className="kpi-card h-100 shadow-sm",
        style={"--kpi-color": TYPE_COLORS[event_type]},
    )


def flow_column(direction: str, title: str) -> html.Div:
    """A titled row of the four counters of one direction."""
    types = INBOUND if direction == "inbound" else OUTBOUND
    return html.Div([
        html.Div(title, className="section-title mb-2"),
        dbc.Row([dbc.Col(kpi_card(direction, t), xs=6, lg=3, className="mb-2") for t in types], className="g-2"),
    ])

