"""Outbound flow, the landing page: live flow counters and emails/s, outbound throughput (click a point to drill
down), outbound per MTA node, message sizes, and bounce analysis."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import compare, kpi, panels
from components.figures import empty_figure
from components.urlstate import view_state
from pages import _compare, _data
from store import bounces, counters, performance, traffic

dash.register_page(__name__, path="/", name="Outbound", order=0, title="Mailflow: outbound flow")


def _graph(id_: str, height: int = 340) -> dcc.Loading:
    return dcc.Loading(dcc.Graph(id=id_, figure=empty_figure("Loading …", height=height),
                                 config={"displaylogo": False}), type="dot", delay_show=400)


def layout(**query) -> html.Div:
    """Skeleton only: every number and chart is filled by the callbacks below."""
    spark = html.Div([html.Div("Emails per second, last 5 minutes", className="section-title mb-1"),
                      html.Div(id="flow-spark"), html.Div("", id="flow-spark-rate", className="kpi-rate")])
    return html.Div([
        dcc.Store(id="flow-kpi-base"), dcc.Store(id="flow-spark-base"), dcc.Store(id="flow-sink"),
        dbc.Row([dbc.Col(kpi.flow_column("outbound", "Outbound"), lg=5),
                 dbc.Col(kpi.flow_column("inbound", "Inbound"), lg=5),
                 dbc.Col(spark, lg=2)], className="mb-3 g-3"),
        dbc.Row([dbc.Col(kpi.card("Outbound throughput", _graph("outbound-throughput"),
                                  html.Div([html.Small("click a point to list its events", className="text-muted"),
                                            compare.switch("outbound-compare", query)], className="d-flex")), lg=8),
                 dbc.Col(kpi.card("Outbound by MTA node (delivered)", _graph("outbound-nodes")), lg=4)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(kpi.card("Message sizes", [_graph("outbound-sizes", 220), _graph("outbound-size-trend", 150)]),
                         lg=4),
                 dbc.Col(kpi.card("Failures by reason", _graph("outbound-reasons", 320)), lg=4),
                 dbc.Col(kpi.card("Failures by category", _graph("outbound-categories", 320)), lg=4)],
                className="g-3 mb-3"),
        kpi.card("Top SMTP responses of failures", html.Div(id="outbound-responses")),
    ])


@callback(Output("flow-kpi-base", "data"), Output("flow-spark-base", "data"),
          Input("url", "search"), Input("shell-interval", "n_intervals"))
def update_counters(search, _tick):
    """Base numbers for the live counters (the browser adds WebSocket deltas on top)."""
    summary = _data.load(traffic.summary, _data.filters(search))
    if summary is None:
        return no_update, no_update
    _data.clear_error()
    live = view_state(search)["range"] != "custom"
    return panels.kpi_base(summary, live), counters.recent_seconds(_data.redis_conn())


@callback(Output("outbound-throughput", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_throughput(search, _tick, theme):
    """Outbound throughput, stacked by outcome (with the previous period dashed when compare is on)."""
    f = _data.filters(search, direction="outbound")
    flow = _data.load(traffic.throughput, f)
    if flow is None:
        return no_update
    fig = panels.throughput_figure(flow, "outbound", panels.OUTBOUND_AREA, _data.theme_of(theme))
    return _compare.throughput_overlay(fig, search, f, traffic.throughput, "outbound", panels.OUTBOUND_AREA)


@callback(Output("outbound-nodes", "figure"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_nodes(search, _tick, theme):
    """Delivered per node, one line each."""
    nodes = _data.load(traffic.throughput, _data.filters(search, direction="outbound"), by_node=True)
    return no_update if nodes is None else panels.node_figure(nodes, "delivered", _data.theme_of(theme))


@callback(Output("outbound-sizes", "figure"), Output("outbound-size-trend", "figure"), Input("url", "search"),
          Input("shell-interval", "n_intervals"), Input("shell-theme", "data"))
def update_sizes(search, _tick, theme):
    """Size distribution and average-size trend."""
    sizes = _data.load(performance.sizes, _data.filters(search, direction="outbound"))
    return (no_update, no_update) if sizes is None else panels.size_figures(sizes, _data.theme_of(theme))


@callback(Output("outbound-reasons", "figure"), Output("outbound-categories", "figure"),
          Output("outbound-responses", "children"), Input("url", "search"),
          Input("shell-interval", "n_intervals"), Input("shell-theme", "data"))
def update_bounces(search, _tick, theme):
    """Bounce analysis: reason classes, ZoneMTA categories, top normalised responses."""
    f, theme = _data.filters(search, direction="outbound"), _data.theme_of(theme)
    data = _data.load(bounces.bounce_analysis, f)
    if data is None:
        return no_update, no_update, no_update
    return (panels.bars_of(data["by_reason"], theme), panels.bars_of(data["by_category"], theme, color="#f0ad00"),
            panels.responses_table(data["top_responses"]))


@callback(Output("url", "href", allow_duplicate=True), Input("outbound-throughput", "clickData"),
          Input("outbound-nodes", "clickData"), State("url", "search"), prevent_initial_call=True)
def drill_down(flow_click, node_click, search):
    """A clicked point opens the events of that bucket (and type, or node)."""
    click = dash.ctx.triggered[0]["value"] if dash.ctx.triggered else None
    if not click or not click.get("points"):
        return no_update
    start, end, key = panels.bucket_of(click, _data.filters(search).bucket_seconds)
    if key == compare.PREVIOUS:
        return no_update
    by = {"type": key} if dash.ctx.triggered_id == "outbound-throughput" else {"node": key, "type": "delivered"}
    return panels.events_href(search, start, end, direction="outbound", **by)


_compare.register("outbound-compare")
dash.clientside_callback(dash.ClientsideFunction("mailflow", "kpiBase"), Output("flow-sink", "data"),
                         Input("flow-kpi-base", "data"))
dash.clientside_callback(dash.ClientsideFunction("mailflow", "sparkBase"), Output("flow-sink", "data",
                                                                                  allow_duplicate=True),
                         Input("flow-spark-base", "data"), prevent_initial_call=True)
