"""Queue analysis: the live ZoneMTA queues across nodes (polled every 10 s by the scheduler, cached in Redis).
This page refreshes itself every 10 s whatever the global refresh, and marks a node whose API is down as stale."""

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html, no_update
from flask import current_app
from redis import RedisError

from components import chart, figures, queueview, sources
from components.figures import empty_figure
from pages import _context
from pipeline import heartbeats
from store import db, health, queues

dash.register_page(__name__, path="/queue", name="Queue", order=2, title="Mailflow: queues")




def layout(**_query) -> html.Div:
    """Skeleton with the page's own 10 s timer."""
    total = html.Div([html.Div("—", id="queue-total", className="kpi-value"),
                      html.Div("", id="queue-split", className="kpi-rate"), chart.graph("queue-spark", 80)])
    return html.Div([
        dcc.Interval(id="queue-interval", interval=10_000),
        dbc.Row([dbc.Col(chart.card("Total queued", total, html.Small("", id="queue-polled", className="text-muted")),
                         lg=4),
                 dbc.Col(chart.card("Nodes", html.Div(id="queue-nodes")), lg=8)], className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Queue per node", chart.graph("queue-per-node", 260)), lg=4),
                 dbc.Col(chart.card("Age of queued messages", chart.graph("queue-ages", 260)), lg=4),
                 dbc.Col(chart.card("Deferred: why", chart.graph("queue-reasons", 260)), lg=4)], className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Oldest message", html.Div(id="queue-oldest")), lg=4),
                 dbc.Col(chart.card("Mailflow pipeline health", html.Div(id="queue-pipeline")), lg=8)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Sources (ZoneMTA plugins)", html.Div(id="queue-sources")), lg=12)],
                className="g-3"),
    ])


@callback(Output("queue-pipeline", "children"), Input("queue-interval", "n_intervals"))
def update_pipeline(_tick):
    """The dashboard's own health: is it keeping up with what the MTAs send?"""
    try:
        return queueview.health_panel(health.pipeline_health(_context.redis_conn(), db.engine()))
    except OSError:
        return queueview.health_panel(None)


@callback(Output("queue-sources", "children"), Input("queue-interval", "n_intervals"))
def update_sources(_tick):
    """Is every MTA node's plugin reporting, and has any lost events before they reached Mailflow?"""
    try:
        return sources.sources_table(heartbeats.read(_context.redis_conn()))
    except (OSError, RedisError):
        return sources.sources_table(None)


def _snapshot():
    nodes = [name for name, _url in current_app.extensions["settings"].zonemta_nodes]
    data = queues.current(_context.redis_conn(), nodes)
    trend = _context.load(queues.trend, 60)
    return data, trend


@callback(Output("queue-total", "children"), Output("queue-split", "children"), Output("queue-polled", "children"),
          Output("queue-spark", "figure"), Output("queue-nodes", "children"), Output("queue-per-node", "figure"),
          Output("queue-ages", "figure"), Output("queue-reasons", "figure"), Output("queue-oldest", "children"),
          Input("queue-interval", "n_intervals"), Input("shell-theme", "data"))
def update_queue(_tick, theme):
    """Everything on the page from the cached aggregate."""
    theme = _context.theme_of(theme)
    try:
        data, trend = _snapshot()
    except OSError as exc:  # redis.ConnectionError is an OSError subclass here too
        _context.show_error(f"Redis is unreachable: {exc}")
        return (no_update,) * 9
    if data is None:
        none = empty_figure("No queue data yet", theme, 260)
        return "—", "", "no node polled yet", figures.sparkline(queueview.trend_frame(trend), theme), \
            queueview.node_status([]), none, none, none, queueview.oldest_card(None)
    totals, polled = data["totals"], f"polled {data['polled_at'][11:19]} UTC"
    reasons = data["deferred_reasons"]
    return (f"{totals['total']:,}", f"{totals['active']:,} active · {totals['deferred']:,} deferred",
            polled + (" · some nodes stale" if data["stale"] else ""),
            figures.sparkline(queueview.trend_frame(trend), theme), queueview.node_status(data["nodes"]),
            queueview.node_bars(data["nodes"], theme), queueview.age_bars(data["ages"], theme),
            figures.pie([r["reason"] for r in reasons], [r["count"] for r in reasons], theme, 260),
            queueview.oldest_card(data["oldest"]))
