"""Turn the store's report dicts (the same shapes the JSON API returns) into frames, figures and tables.

Pure functions: dict in, figure or Dash component out, so the pages stay a few lines per callback.
"""

from __future__ import annotations

from urllib.parse import urlencode

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components import figures
from components.theme import TYPE_LABELS
from components.urlstate import filter_args, view_state

OUTBOUND_AREA = ("delivered", "deferred", "bounced", "rejected")


def series_frame(points: list[dict]) -> pd.DataFrame:
    """Throughput points -> DataFrame with a datetime 'time' column."""
    frame = pd.DataFrame(points)
    if not frame.empty:
        frame["time"] = pd.to_datetime(frame["time"])
    return frame


def span(data: dict) -> tuple[pd.Timestamp, pd.Timestamp]:
    """[start, end] of the report's selected range, as the time-series figures' x-axis range.

    Naive UTC, like the series Plotly draws: Plotly.js ignores zone offsets in date strings.
    """
    def naive(value: str) -> pd.Timestamp:
        stamp = pd.Timestamp(value)
        return stamp.tz_convert("UTC").tz_localize(None) if stamp.tzinfo else stamp

    return naive(data["range"]["start"]), naive(data["range"]["end"])


def throughput_figure(data: dict, direction: str, types, theme: str):
    """Stacked area of one direction's event types over the selected range."""
    labels = TYPE_LABELS[direction]
    return figures.stacked_area(series_frame(data["series"]), [(t, labels[t]) for t in types], theme,
                                x_range=span(data), empty=f"No {direction} events in this range")


def node_figure(data: dict, event_type: str, theme: str):
    """One line per node of one event type's count per bucket."""
    rows = [{"time": p["time"], "node": s["node"], "value": p[event_type]} for s in data["series"] for p in s["points"]]
    frame = series_frame(rows)
    return figures.lines(frame, "time", "value", "node", theme, y_title=f"{event_type} per bucket",
                         x_range=span(data), empty=f"No {event_type} events in this range")


def kpi_base(summary: dict, live: bool) -> dict:
    """The counters' base numbers for assets/mailflow.js (live deltas are added only for ranges ending now)."""
    values = {f"{d}.{t}": n for d, v in summary["directions"].items() for t, n in v["counts"].items()}
    span = pd.Timestamp(summary["range"]["end"]) - pd.Timestamp(summary["range"]["start"])
    hours = max(span.total_seconds() / 3600, 1 / 60)
    return {"values": values, "hours": hours, "live": live}


def size_figures(data: dict, theme: str) -> tuple:
    """Size brackets as bars, and the average-size trend (KB) as a small line chart under them."""
    trend = pd.DataFrame([{"time": p["time"], "value": p["avg_bytes"] / 1024, "series": "average size (KB)"}
                          for p in data["trend"] if p["avg_bytes"] is not None],
                         columns=["time", "value", "series"])
    trend["time"] = pd.to_datetime(trend["time"])
    bars = figures.bars_with_line([b["bracket"] for b in data["histogram"]],
                                  [b["events"] for b in data["histogram"]], None, theme, height=220)
    line = figures.lines(trend, "time", "value", "series", theme, height=150, y_title="avg KB", x_range=span(data),
                         empty="No sized messages in this range")
    return bars, line.update_layout(showlegend=False, margin={"t": 8, "b": 24})


def bars_of(rows: list[dict], theme: str, key: str = "key", value: str = "failures", empty: str = "(none)",
            color: str = "#dc3545", height: int = 300):
    """Horizontal bars of a list of {key, value} rows."""
    return figures.hbar([r[key] if r[key] is not None else empty for r in rows], [r[value] for r in rows], theme,
                        height=height, color=color)


def responses_table(rows: list[dict]) -> dbc.Table | html.Div:
    """The top normalised SMTP responses with their counts (text escaped by React, never interpreted)."""
    if not rows:
        return html.Div("No failures in this range.", className="text-muted")
    head = html.Thead(html.Tr([html.Th("Response"), html.Th("Bounced", className="text-end"),
                               html.Th("Deferred", className="text-end"), html.Th("Rejected", className="text-end")]))
    body = html.Tbody([html.Tr([html.Td(r["key"] or "(no response)", className="mono"),
                                html.Td(f"{r['bounced']:,}", className="text-end"),
                                html.Td(f"{r['deferred']:,}", className="text-end"),
                                html.Td(f"{r['rejected']:,}", className="text-end")]) for r in rows])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, className="mb-0")


def events_href(search: str | None, start: str | None = None, end: str | None = None, **filters: str) -> str:
    """The drill-down URL: /events with the current range (or one bucket) and the clicked filters."""
    state = view_state(search)
    params = {"range": state["range"]} if state["range"] != "custom" else {"from": state["from"], "to": state["to"]}
    if start and end:
        params = {"from": start, "to": end}
    if state["theme"] == "dark":
        params["theme"] = "dark"
    params.update({k: v for k, v in filters.items() if v})
    return "/events?" + urlencode(params)


def bucket_of(click: dict, bucket_seconds: int) -> tuple[str, str, str | None]:
    """(start, end, curve key) of a clicked time-series point."""
    point = click["points"][0]
    start = pd.Timestamp(point["x"]).tz_localize("UTC") if pd.Timestamp(point["x"]).tzinfo is None \
        else pd.Timestamp(point["x"])
    end = start + pd.Timedelta(seconds=bucket_seconds)
    return (start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ"), point.get("customdata"))


def csv_href(search: str | None, endpoint: str, **params: str) -> str:
    """The query API's CSV export of what a page shows: its range and filters plus format=csv (the page's session
    cookie authorises the download)."""
    query = filter_args(view_state(search)) | {k: v for k, v in params.items() if v} | {"format": "csv"}
    return f"/api/v1/email/{endpoint}?" + urlencode(query)


def download_link(id_: str) -> html.A:
    """A "Download CSV" link whose href a callback fills in (the server names the file)."""
    return html.A("Download CSV", id=id_, href="", download="", className="small ms-3")
