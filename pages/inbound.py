"""Inbound flow: the inbound counters and the inbound throughput (delivered, spam, rejected, greylisted)."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import chart, compare, kpi, reports
from components.figures import empty_figure
from components.urlstate import view_state
from pages import _compare, _context
from pipeline import deltas
from store import breakdown, inbound, traffic

dash.register_page(__name__, path="/inbound", name="Inbound", order=1, title="Mailflow: inbound flow")
AREA = ("delivered", "spam", "rejected", "greylisted")


def layout(**query) -> html.Div:
    """Skeleton: counters, throughput, top sending domains and per-node lines."""
    graph = dcc.Loading(dcc.Graph(id="inbound-throughput", figure=empty_figure("Loading …"),
                                  config={"displaylogo": False}), type="dot", delay_show=400)
    return html.Div([
        dcc.Store(id="inbound-kpi-base"), dcc.Store(id="inbound-spark-base"), dcc.Store(id="inbound-sink"),
        dbc.Row([dbc.Col(kpi.flow_column("inbound", "Inbound"), lg=6),
                 dbc.Col(html.Div([html.Div("Emails per second, last 5 minutes", className="section-title mb-1"),
                                   html.Div(id="flow-spark"), html.Div("", id="flow-spark-rate",
                                                                        className="kpi-rate")]), lg=3)],
                className="mb-3 g-3"),
        chart.card("Inbound throughput", graph, html.Div([html.Small("click a point to list its events",
                                                                   className="text-muted"),
                                                        compare.switch("inbound-compare", query)], className="d-flex")),
        dbc.Row([dbc.Col(chart.card("Top sending domains", dcc.Graph(id="inbound-domains",
                                                                   figure=empty_figure("Loading …"))), lg=6),
                 dbc.Col(chart.card("Inbound by MX node (received)", dcc.Graph(id="inbound-nodes",
                                                                           figure=empty_figure("Loading …"))), lg=6)],
                className="g-3 mt-1"),
    ])


@callback(Output("inbound-kpi-base", "data"), Output("inbound-spark-base", "data"),
          Input("url", "search"), Input("shell-interval", "n_intervals"))
def update_inbound_counters(search, _tick):
    """Base numbers for the inbound counters."""
    summary = _context.load(traffic.summary, _context.filters(search, direction="inbound"))
    if summary is None:
        return no_update, no_update
    _context.clear_error()
    return (reports.kpi_base(summary, live=view_state(search)["range"] != "custom"),
            deltas.recent_seconds(_context.redis_conn()))


@callback(Output("inbound-throughput", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_inbound(search, _tick, theme):
    """Inbound throughput: delivered (clean), spam, rejected, greylisted (previous period dashed with compare)."""
    f = _context.filters(search, direction="inbound")
    flow = _context.load(inbound.inbound_flow, f)
    if flow is None:
        return no_update
    fig = reports.throughput_figure(flow, "inbound", AREA, _context.theme_of(theme))
    return _compare.throughput_overlay(fig, search, f, inbound.inbound_flow, "inbound", AREA)


@callback(Output("inbound-domains", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_inbound_domains(search, _tick, theme):
    """Top sending domains by events."""
    domains = _context.load(breakdown.breakdown, _context.filters(search, direction="inbound"), "domain", "total", 10)
    if domains is None:
        return no_update
    rows = [{"key": g["key"], "n": g["total"]} for g in domains["groups"]]
    return reports.bars_of(rows, _context.theme_of(theme), value="n", empty="(no sender domain)", color="#0d6efd")


@callback(Output("inbound-nodes", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_inbound_nodes(search, _tick, theme):
    """Received per MX node."""
    nodes = _context.load(traffic.throughput, _context.filters(search, direction="inbound"), by_node=True)
    return no_update if nodes is None else reports.node_figure(nodes, "received", _context.theme_of(theme))


@callback(Output("url", "href", allow_duplicate=True), Input("inbound-throughput", "clickData"),
          State("url", "search"), prevent_initial_call=True)
def drill_down(click, search):
    """A clicked point opens the inbound events of that bucket and type."""
    if not click or not click.get("points"):
        return no_update
    start, end, key = reports.bucket_of(click, _context.filters(search).bucket_seconds)
    if key == compare.PREVIOUS:
        return no_update
    return reports.events_href(search, start, end, direction="inbound", type="delivered" if key == "spam" else key)


_compare.register("inbound-compare")
dash.clientside_callback(dash.ClientsideFunction("mailflow", "kpiBase"), Output("inbound-sink", "data"),
                         Input("inbound-kpi-base", "data"))
dash.clientside_callback(dash.ClientsideFunction("mailflow", "sparkBase"),
                         Output("inbound-sink", "data", allow_duplicate=True), Input("inbound-spark-base", "data"),
                         prevent_initial_call=True)
