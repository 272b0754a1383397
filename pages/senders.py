"""Sender reputation: per sending IP and per sender domain the volume, delivered/deferred/bounced rates, failures by
reason class and the reputation or blocklist replies they drew; the IP x mailbox-provider delivery-rate matrix and
the failure trend. Outbound mail only; each IP or domain links to its events."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update

from components import chart, reputation
from components.figures import empty_figure
from pages import _context
from store import reputation as store

dash.register_page(__name__, path="/senders", name="Senders", order=3.5, title="Mailflow: sender reputation")
LIMIT = 20


def _graph(id_: str, height: int) -> dcc.Loading:
    return dcc.Loading(dcc.Graph(id=id_, figure=empty_figure("Loading …", height=height),
                                 config={"displaylogo": False}), type="dot", delay_show=400)


def _table(id_: str) -> dcc.Loading:
    return dcc.Loading(html.Div(id=id_), type="dot", delay_show=400)


def layout(**_query) -> html.Div:
    """Skeleton: the callback fills the tables and charts."""
    note = html.Small("click an IP or domain to list its events", className="text-muted")
    return html.Div([
        dbc.Row([dbc.Col(chart.card("Sending IPs", _table("senders-ips"), note), lg=12)], className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Delivery rate by sending IP and provider", _graph("senders-matrix", 360)), lg=7),
                 dbc.Col(chart.card("Failures over the range, by sending IP", _graph("senders-ip-trend", 360)), lg=5)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Sender domains", _table("senders-domains"), note), lg=12)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Failures over the range, by sender domain", _graph("senders-domain-trend", 300)),
                         lg=12)], className="g-3 mb-3"),
    ])


@callback(Output("senders-ips", "children"), Output("senders-domains", "children"),
          Output("senders-matrix", "figure"), Output("senders-ip-trend", "figure"),
          Output("senders-domain-trend", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_senders(search, _tick, theme):
    """Both tables, the matrix and both trends for the URL's range."""
    f, theme = _context.filters(search), _context.theme_of(theme)
    ips, senders = (_context.load(store.reputation, f, by, LIMIT) for by in store.BY)
    matrix = _context.load(store.provider_matrix, f)
    if ips is None or senders is None or matrix is None:
        return (no_update,) * 5
    _context.clear_error()
    return (reputation.reputation_table(ips, search), reputation.reputation_table(senders, search),
            reputation.provider_heatmap(matrix, theme), reputation.failure_trend(ips, theme),
            reputation.failure_trend(senders, theme, 300))
