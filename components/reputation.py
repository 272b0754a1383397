"""Sender reputation drawings: the per-IP / per-sender-domain table, the IP x provider delivery-rate heatmap and the
failure trend. Pure: report dicts (store.reputation's shapes) in, components and figures out.

Each table is one function built from plain dbc.Table rows, so it can be swapped for a grid without touching the
page. Text reaches the page through React (escaped) or through `figures.label` (Plotly text).
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
import plotly.graph_objects as go
from dash import dcc, html

from components import figures, reports
from components.theme import template

NAMES = {"ip": "Sending IP", "sender": "Sender domain"}
SHOWN_LISTINGS = 3


def _pct(rate: float | None) -> str:
    return "–" if rate is None else f"{100 * rate:.1f} %"


def _share(n: int, of: int) -> str:
    return "–" if not of else f"{100 * n / of:.1f} %"


def _reasons(reasons: list[dict]) -> list:
    return [dbc.Badge(f"{r['reason']} {r['failures']:,}", color="light", text_color="dark",
                      className="me-1 border") for r in reasons]


def _listings(listings: list[dict]) -> html.Div | str:
    if not listings:
        return ""
    lines = [html.Div(f"{r['failures']:,} × {r['response'] or '(no response)'}", className="mono small text-break")
             for r in listings[:SHOWN_LISTINGS]]
    more = len(listings) - SHOWN_LISTINGS
    return html.Div(lines + ([html.Div(f"+ {more} more", className="small text-muted")] if more > 0 else []))


def reputation_table(data: dict | None, search: str | None) -> html.Div | dbc.Table:
    """The busiest IPs or sender domains: volume, outcome rates, failures by reason, reputation/blocklist replies;
    each key links to its events."""
    by = data["by"] if data else "ip"
    if not data or not data["groups"]:
        return html.Div(f"No outbound events with a {NAMES[by].lower()} in this range (the reputation figures "
                        "count outbound mail only).", className="text-muted p-2", id=f"senders-{by}-empty")
    head = html.Thead(html.Tr([html.Th(NAMES[by]), html.Th("Sent", className="text-end"),
                               html.Th("Delivered", className="text-end"), html.Th("Deferred", className="text-end"),
                               html.Th("Bounced", className="text-end"), html.Th("Failures by reason"),
                               html.Th("Reputation / blocklist replies")]))
    rows = []
    for g in data["groups"]:
        key = g["key"]
        link = dcc.Link(key, href=reports.events_href(search, direction="outbound", **{by: key}), className="mono") \
            if key else html.Span("(none)", className="text-muted")
        rows.append(html.Tr([
            html.Td(link), html.Td(f"{g['received']:,}", className="text-end"),
            html.Td(_pct(g["delivery_rate"]), className="text-end"),
            html.Td(_pct(g["deferral_rate"]), className="text-end"),
            html.Td(_pct(g["bounce_rate"]), className="text-end"),
            html.Td(_reasons(g["reasons"])), html.Td(_listings(g["listings"]))]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", hover=True, responsive=True,
                     className="table-events mb-0", id=f"senders-{by}-table")


def provider_heatmap(matrix: dict | None, theme: str, height: int = 360) -> go.Figure:
    """Delivery rate (delivered per sent) of each sending IP x mailbox provider; hover shows the counts."""
    if not matrix or not matrix["cells"]:
        return figures.empty_figure("No outbound events with a sending IP in this range", theme, height)
    ips, providers = matrix["ips"], matrix["providers"]
    at = {(c["ip"], c["provider"]): c for c in matrix["cells"]}
    z, text = [], []
    for ip in ips:
        cells = [at.get((ip, p)) for p in providers]
        z.append([None if c is None or c["delivery_rate"] is None else round(100 * c["delivery_rate"], 1)
                  for c in cells])
        text.append(["no mail" if c is None else
                     f"{_share(c['delivered'], c['received'])} of {c['received']:,} delivered, "
                     f"{c['bounced']:,} bounced, {c['deferred']:,} deferred" for c in cells])
    fig = go.Figure(go.Heatmap(
        z=z, x=figures.labels(providers), y=figures.labels(ip or "(none)" for ip in ips), text=text, zmin=0,
        zmax=100, colorscale=[[0, "#dc3545"], [0.8, "#f0ad00"], [1, "#198754"]], colorbar={"title": "delivered %"},
        hovertemplate="%{y} → %{x}: %{text}<extra></extra>", texttemplate="%{z:.0f}", xgap=2, ygap=2),
        _validate=False)
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    fig.update_layout(template=template(theme), height=height, hovermode="closest",
                      margin={"l": 120, "r": 16, "t": 16, "b": 60})
    return fig


def failure_trend(data: dict | None, theme: str, height: int = 300) -> go.Figure:
    """Deferred + bounced per bucket, one line per shown IP or sender domain."""
    if not data or not data["trend"]:
        return figures.empty_figure("No outbound events in this range", theme, height)
    rows = [{"time": p["time"], "key": p["key"] or "(none)", "value": p["deferred"] + p["bounced"]}
            for p in data["trend"]]
    return figures.lines(reports.series_frame(rows), "time", "value", "key", theme, height,
                         "deferred + bounced per bucket", x_range=reports.span(data))
