"""The frame around every chart and table: a titled card, and an empty graph that shows "Loading …" until its
callback fills it.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from components.figures import empty_figure


def card(title: str, body, extra=None, id_: str | None = None) -> dbc.Card:
    """A titled chart card."""
    header = html.Div([html.Span(title, className="section-title"), extra if extra is not None else ""],
                      className="d-flex justify-content-between align-items-center")
    return dbc.Card([dbc.CardHeader(header), dbc.CardBody(body)], className="shadow-sm mb-3 h-100",
                    **({"id": id_} if id_ else {}))


def graph(id_: str, height: int, loading: bool = False) -> dcc.Graph | dcc.Loading:
    """A graph drawn as an explicit "Loading …" figure until its callback answers; `loading` adds a spinner for
    the charts whose queries take noticeably long."""
    figure = dcc.Graph(id=id_, figure=empty_figure("Loading …", height=height), config={"displaylogo": False})
    return dcc.Loading(figure, type="dot", delay_show=400) if loading else figure
