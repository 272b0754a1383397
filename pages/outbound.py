"""Outbound flow, the landing page: live flow counters and emails/s, outbound throughput (click a point to drill
down), outbound per MTA node, message sizes, and bounce analysis."""

import functools

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import chart, compare, kpi, reports
from components.urlstate import view_state
from pages import _compare, _context
from pipeline import deltas
from store import bounces, performance, traffic

dash.register_page(__name__, path="/", name="Outbound", order=0, title="Mailflow: outbound flow")




def layout(**query) -> html.Div:
    """Skeleton only: every number and chart is filled by the callbacks below."""
    graph = functools.partial(chart.graph, loading=True)  # this page's queries take long enough to show a spinner
    spark = html.Div([html.Div("Emails per second, last 5 minutes", className="section-title mb-1"),
                      html.Div(id="flow-spark"), html.Div("", id="flow-spark-rate", className="kpi-rate")])
    return html.Div([
        dcc.Store(id="flow-kpi-base"), dcc.Store(id="flow-spark-base"), dcc.Store(id="flow-sink"),
        dbc.Row([dbc.Col(kpi.flow_column("outbound", "Outbound"), lg=5),
                 dbc.Col(kpi.flow_column("inbound", "Inbound"), lg=5),
                 dbc.Col(spark, lg=2)], className="mb-3 g-3"),
        dbc.Row([dbc.Col(chart.card("Outbound throughput", chart.graph("outbound-throughput", 340),
                                  html.Div([html.Small("click a point to list its events", className="text-muted"),
                                            compare.switch("outbound-compare", query)], className="d-flex")), lg=8),
                 dbc.Col(chart.card("Outbound by MTA node (delivered)", chart.graph("outbound-nodes", 340)), lg=4)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Message sizes", [graph("outbound-sizes", 220), graph("outbound-size-trend", 150)]),
                         lg=4),
                 dbc.Col(chart.card("Failures by reason", graph("outbound-reasons", 320)), lg=4),
                 dbc.Col(chart.card("Failures by category", graph("outbound-categories", 320)), lg=4)],
                className="g-3 mb-3"),
        chart.card("Top SMTP responses of failures", html.Div(id="outbound-responses")),
    ])


@callback(Output("flow-kpi-base", "data"), Output("flow-spark-base", "data"),
          Input("url", "search"), Input("shell-interval", "n_intervals"))
def update_counters(search, _tick):
    """Base numbers for the live counters (the browser adds WebSocket deltas on top)."""
    summary = _context.load(traffic.summary, _context.filters(search))
    if summary is None:
        return no_update, no_update
    _context.clear_error()
    live = view_state(search)["range"] != "custom"
    return reports.kpi_base(summary, live), deltas.recent_seconds(_context.redis_conn())


@callback(Output("outbound-throughput", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_throughput(search, _tick, theme):
    """Outbound throughput, stacked by outcome (with the previous period dashed when compare is on)."""
    f = _context.filters(search, direction="outbound")
    flow = _context.load(traffic.throughput, f)
    if flow is None:
        return no_update
    fig = reports.throughput_figure(flow, "outbound", reports.OUTBOUND_AREA, _context.theme_of(theme))
    return _compare.throughput_overlay(fig, search, f, traffic.throughput, "outbound", reports.OUTBOUND_AREA)


@callback(Output("outbound-nodes", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_nodes(search, _tick, theme):
    """Delivered per node, one line each."""
    nodes = _context.load(traffic.throughput, _context.filters(search, direction="outbound"), by_node=True)
    return no_update if nodes is None else reports.node_figure(nodes, "delivered", _context.theme_of(theme))


@callback(Output("outbound-sizes", "figure"), Output("outbound-size-trend", "figure"), Input("url", "search"),
          Input("shell-interval", "n_intervals"), Input("shell-theme", "data"))
def update_sizes(search, _tick, theme):
    """Size distribution and average-size trend."""
    sizes = _context.load(performance.sizes, _context.filters(search, direction="outbound"))
    return (no_update, no_update) if sizes is None else reports.size_figures(sizes, _context.theme_of(theme))


@callback(Output("outbound-reasons", "figure"), Output("outbound-categories", "figure"),
          Output("outbound-responses", "children"), Input("url", "search"),
          Input("shell-interval", "n_intervals"), Input("shell-theme", "data"))
def update_bounces(search, _tick, theme):
    """Bounce analysis: reason classes, ZoneMTA categories, top normalised responses."""
    f, theme = _context.filters(search, direction="outbound"), _context.theme_of(theme)
    data = _context.load(bounces.bounce_analysis, f)
    if data is None:
        return no_update, no_update, no_update
    return (reports.bars_of(data["by_reason"], theme), reports.bars_of(data["by_category"], theme, color="#f0ad00"),
            reports.responses_table(data["top_responses"]))


@callback(Output("url", "href", allow_duplicate=True), Input("outbound-throughput", "clickData"),
          Input("outbound-nodes", "clickData"), State("url", "search"), prevent_initial_call=True)
def drill_down(flow_click, node_click, search):
    """A clicked point opens the events of that bucket (and type, or node)."""
    click = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
    if not click or not click.get("points"):
        return no_update
    start, end, key = reports.bucket_of(click, _context.filters(search).bucket_seconds)
    if key == compare.PREVIOUS:
        return no_update
    by = {"type": key} if dash.ctx.triggered_id == "outbound-throughput" else {"node": key, "type": "delivered"}
    return reports.events_href(search, start, end, direction="outbound", **by)


_compare.register("outbound-compare")
dash.clientside_callback(dash.ClientsideFunction("mailflow", "kpiBase"), Output("flow-sink", "data"),
                         Input("flow-kpi-base", "data"))
dash.clientside_callback(dash.ClientsideFunction("mailflow", "sparkBase"), Output("flow-sink", "data",
                                                                                  allow_duplicate=True),
                         Input("flow-spark-base", "data"), prevent_initial_call=True)
