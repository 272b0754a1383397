"""Delivery performance: average/P95/P99 gauges, the delivery-time histogram, the per-destination-domain table
(sortable, filterable; click a row for its events) and the delivery-time trend."""

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, html, no_update

from components import chart, compare, figures, reports
from components.grid import column, grid
from components.theme import SEQUENCE
from pages import _compare, _context
from store import breakdown, performance

dash.register_page(__name__, path="/performance", name="Performance", order=3, title="Mailflow: performance")
COLUMNS = [column("key", "Domain", minWidth=150), column("total", "Events", "count"),
           column("delivered", "Delivered", "count"),
           column("avg_s", "Avg s", "number"), column("p95_s", "P95 s", "number"),
           column("delivery_pct", "Delivery %", "percent"), column("bounce_pct", "Bounce %", "percent")]
PROVIDER_COLUMNS = [column("provider", "Provider"), column("delivered", "Delivered", "count"),
                    column("avg_s", "Avg s", "number"), column("p95_s", "P95 s", "number"),
                    column("p99_s", "P99 s", "number")]




def layout(**query) -> html.Div:
    """Skeleton."""
    table = grid("perf-domains", COLUMNS, page_size=15, row_id="key")
    providers = html.Div([chart.graph("perf-providers", 300),
                          grid("perf-provider-table", PROVIDER_COLUMNS, filters=False)])
    domain_note = html.Div([html.Small("click a row to list its events", className="text-muted"),
                            reports.download_link("perf-domains-csv")])
    return html.Div([
        dbc.Row([dbc.Col(chart.card(title, chart.graph(f"perf-gauge-{k}", 230)), md=4)
                 for k, title in (("avg", "Average delivery time"), ("p95", "P95"), ("p99", "P99"))],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("Delivery-time distribution", chart.graph("perf-histogram", 300)), lg=5),
                 dbc.Col(chart.card("Delivery time over the range", chart.graph("perf-trend", 300),
                                  compare.switch("perf-compare", query)), lg=7)],
                className="g-3 mb-3"),
        dbc.Row([dbc.Col(chart.card("By destination domain", table, domain_note), lg=7),
                 dbc.Col(chart.card("Delivery time by provider", providers,
                                    reports.download_link("perf-providers-csv")), lg=5)], className="g-3 mb-3"),
    ])


def _seconds(ms):
    return None if ms is None else round(ms / 1000, 2)


@callback(Output("perf-gauge-avg", "figure"), Output("perf-gauge-p95", "figure"), Output("perf-gauge-p99", "figure"),
          Output("perf-histogram", "figure"), Output("perf-trend", "figure"), Output("perf-providers", "figure"),
          Output("perf-provider-table", "rowData"), Input("url", "search"), Input("shell-interval", "n_intervals"),
          Input("shell-theme", "data"))
def update_performance(search, _tick, theme):
    """Gauges, histogram, trend and per-provider figures of outbound delivery times."""
    theme, f = _context.theme_of(theme), _context.filters(search, direction="outbound")
    data = _context.load(performance.performance, f)
    if data is None:
        return (no_update,) * 7
    _context.clear_error()
    gauges = [figures.gauge(_seconds(data[k]), "", theme) for k in ("avg_ms", "p95", "p99")]
    brackets = data["histogram"]
    bars = figures.bars_with_line([b["bracket"] for b in brackets], [b["events"] for b in brackets], None, theme,
                                  bar_name="delivered", height=300)
    rows = [{"time": p["time"], "series": s, "value": _seconds(p[k])} for p in data["trend"]
            for s, k in (("average", "avg_ms"), ("P95", "p95_ms")) if p[k] is not None]
    trend = figures.lines(reports.series_frame(rows), "time", "value", "series", theme, 300, "seconds",
                          x_range=reports.span(data), empty="No delivered events in this range")
    if compare.enabled(search):
        trend = _previous_trend(trend, search, f)
    return (*gauges, bars, trend, *_providers(data["by_provider"] or [], theme))


def _previous_trend(fig, search: str, f):
    """The trend figure plus the previous period's average and P95 (dashed, same colours as the current lines)."""
    before = _context.load(performance.performance, _compare.previous(f))
    if before is None:
        return fig
    frame = pd.DataFrame([{"time": p["time"], "avg": _seconds(p["avg_ms"]), "p95": _seconds(p["p95_ms"])}
                          for p in before["trend"]])
    # figures.lines colours its lines in sorted name order: "P95" before "average"
    series = [("avg", "average", SEQUENCE[1]), ("p95", "P95", SEQUENCE[0])]
    return compare.overlay(fig, frame, series, compare.previous_label(search), _compare.seconds(f))


def _providers(rows: list[dict], theme: str) -> tuple:
    """The per-provider avg/P95/P99 bars and table rows."""
    names = [r["provider"] or "(none)" for r in rows]
    series = [(name, [_seconds(r[k]) for r in rows]) for name, k in (("average", "avg_ms"), ("P95", "p95_ms"),
                                                                      ("P99", "p99_ms"))]
    table = [{"provider": name, "delivered": r["delivered"], "avg_s": _seconds(r["avg_ms"]),
              "p95_s": _seconds(r["p95_ms"]), "p99_s": _seconds(r["p99_ms"])}
             for name, r in zip(names, rows, strict=True)]
    return figures.grouped_hbar(names, series, theme, 300, "seconds"), table


@callback(Output("perf-domains-csv", "href"), Output("perf-providers-csv", "href"), Input("url", "search"))
def csv_links(search):
    """The CSV exports of both tables for the page's range."""
    return (reports.csv_href(search, "stats", by="domain", direction="outbound", sort="total"),
            reports.csv_href(search, "stats", by="provider", direction="outbound", sort="delivered"))


@callback(Output("perf-domains", "rowData"), Input("url", "search"), Input("shell-interval", "n_intervals"))
def update_domains(search, _tick):
    """Per-destination-domain rows (top 200 by events)."""
    data = _context.load(breakdown.breakdown, _context.filters(search, direction="outbound"), "domain", "total", 200)
    if data is None:
        return no_update
    return [{"key": g["key"] or "(none)", "total": g["total"], "delivered": g["delivered"],
             "avg_s": _seconds(g["avg_delivery_ms"]), "p95_s": _seconds(g["p95_delivery_ms"]),
             "delivery_pct": None if g["delivery_rate"] is None else round(100 * g["delivery_rate"], 1),
             "bounce_pct": None if g["bounce_rate"] is None else round(100 * g["bounce_rate"], 1)}
            for g in data["groups"]]


@callback(Output("url", "href", allow_duplicate=True), Input("perf-domains", "cellClicked"), State("url", "search"),
          prevent_initial_call=True)
def open_domain_events(cell, search):
    """Drill down: the events of the clicked domain (the row's id) over the current range."""
    domain = (cell or {}).get("rowId")
    if not domain or domain == "(none)":
        return no_update
    return reports.events_href(search, direction="outbound", domain=domain)


_compare.register("perf-compare")
