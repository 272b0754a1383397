"""Pure figure builders: data in, Plotly figure out. No queries, no callbacks, so each is testable alone.

Every builder takes the theme name and returns a complete figure; an empty input gives an explicit empty-state
figure ("No events in this range") instead of blank axes, so a wall screen never shows a silently empty chart.
Every data value that becomes text in a figure (legend name, category label, bar text, hover) goes through
`label`: Plotly reads `<a href>`, `<b>`, `<br>` in those strings as markup, so a node or domain name could
otherwise draw a link.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence

import pandas as pd
import plotly.graph_objects as go

from components.theme import TYPE_COLORS, template

GAUGE_STEPS = [(0, 3, "#198754"), (3, 10, "#f0ad00"), (10, 60, "#dc3545")]
FEW_POINTS = 3  # a trace with fewer points than this also gets markers: one point alone draws no line


def label(value) -> str:
    """A data value as Plotly text: `&`, `<` and `>` as HTML entities, which Plotly shows literally."""
    return html.escape(str(value), quote=False)


def labels(values: Iterable) -> list[str]:
    """`label` of each value."""
    return [label(v) for v in values]


def _figure(*data) -> go.Figure:
    # Our builders produce well-formed figures; Plotly's per-property validation (and its deep copy of the template)
    # cost ~3x the whole build, which matters on wall screens refreshing many charts.
    return go.Figure(list(data), _validate=False)


def empty_figure(message: str, theme: str = "light", height: int = 320) -> go.Figure:
    """A figure holding only a centred message."""
    fig = _figure()
    fig.update_layout(template=template(theme), height=height)
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    fig.add_annotation(text=message, showarrow=False, font={"size": 15}, xref="paper", yref="paper", x=0.5, y=0.5)
    return fig


def _mode(points: int) -> str:
    return "lines+markers" if points < FEW_POINTS else "lines"


def _time_axis(fig: go.Figure, x_range: Sequence | None) -> go.Figure:
    # The x-axis spans the selected range, whatever the data covers: with one bucket Plotly would otherwise zoom
    # to a millisecond around it, and a sparse range would look like a full one.
    if x_range is not None:
        fig.update_xaxes(range=list(x_range), type="date")
    return fig


def _layout(fig: go.Figure, theme: str, height: int, title: str | None = None, **extra) -> go.Figure:
    fig.update_layout(template=template(theme), height=height, title=title, **extra)
    return fig


def stacked_area(df: pd.DataFrame, series: Sequence[tuple[str, str]], theme: str, height: int = 340,
                 y_title: str = "events", x_range: Sequence | None = None,
                 empty: str = "No events in this range") -> go.Figure:
    """Stacked areas over df['time'], one per (column, label) in series, coloured by event type.

    x_range ([start, end]) fixes the x-axis to the selected range; `empty` says why there is nothing to draw.
    """
    if df.empty or not df[[c for c, _ in series]].to_numpy().any():
        return empty_figure(empty, theme, height)
    fig = _figure()
    for column, name in series:
        fig.add_scatter(x=df["time"], y=df[column], name=label(name), stackgroup="one", mode=_mode(len(df)),
                        line={"width": 0.5, "color": TYPE_COLORS.get(column)}, customdata=[column] * len(df))
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(_time_axis(fig, x_range), theme, height)


def lines(df: pd.DataFrame, x: str, y: str, by: str, theme: str, height: int = 320, y_title: str = "",
          x_range: Sequence | None = None, empty: str = "No events in this range") -> go.Figure:
    """One line per value of df[by] (e.g. one per MTA node), so an outlier stands out.

    x_range ([start, end]) fixes a time x-axis to the selected range; a line of fewer than FEW_POINTS points also
    gets markers; `empty` says why there is nothing to draw.
    """
    if df.empty:
        return empty_figure(empty, theme, height)
    fig = _figure()
    for key, part in df.groupby(by, sort=True):
        # customdata keeps the raw key: a click drills down by it (it is never drawn)
        fig.add_scatter(x=part[x], y=part[y], name=label(key), mode=_mode(len(part)), customdata=[key] * len(part))
    fig.update_yaxes(title=y_title, rangemode="tozero")
    return _layout(_time_axis(fig, x_range), theme, height)


def bars_with_line(brackets: Sequence[str], counts: Sequence[float], trend: pd.DataFrame | None, theme: str,
                   bar_name: str = "messages", line_name: str = "average", line_title: str = "",
                   height: int = 320) -> go.Figure:
    """Bars per bracket, with an optional trend line on a secondary axis (size distribution + average size)."""
    if not sum(counts):
        return empty_figure("No events in this range", theme, height)
    fig = _figure()
    fig.add_bar(x=labels(brackets), y=list(counts), name=label(bar_name), marker_color="#0d6efd")
    if trend is not None and not trend.empty:
        fig.add_scatter(x=trend["time"], y=trend["value"], name=label(line_name), mode="lines", xaxis="x2", yaxis="y2",
                        line={"color": "#fd7e14", "width": 2})
        fig.update_layout(xaxis2={"overlaying": "x", "side": "top", "showgrid": False, "type": "date"},
                          yaxis2={"overlaying": "y", "side": "right", "showgrid": False, "title": line_title,
                                  "rangemode": "tozero"})
    return _layout(fig, theme, height, bargap=0.25)


def hbar(names: Sequence[str], values: Sequence[float], theme: str, height: int = 320, color: str = "#0d6efd",
         x_title: str = "", text: Sequence[str] | None = None) -> go.Figure:
    """Horizontal bars, largest on top."""
    if not len(values) or not any(values):
        return empty_figure("Nothing to show in this range", theme, height)
    fig = _figure(go.Bar(x=list(values)[::-1], y=labels(names)[::-1], orientation="h",
                           marker_color=color, text=labels(text)[::-1] if text else None, textposition="auto"))
    fig.update_xaxes(title=x_title)
    return _layout(fig, theme, height, hovermode="closest", margin={"l": 160, "r": 16, "t": 16, "b": 40})


def grouped_hbar(names: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], theme: str,
                 height: int = 320, x_title: str = "") -> go.Figure:
    """Horizontal bars, one group per name (first on top) and one bar per series (e.g. avg, P95, P99)."""
    if not names or not any(v for _, values in series for v in values):
        return empty_figure("Nothing to show in this range", theme, height)
    fig = _figure(*[go.Bar(x=list(values)[::-1], y=labels(names)[::-1], name=label(name), orientation="h")
                    for name, values in series])
    fig.update_xaxes(title=x_title, rangemode="tozero")
    return _layout(fig, theme, height, barmode="group", hovermode="closest",
                   margin={"l": 110, "r": 16, "t": 16, "b": 40}, legend={"orientation": "h", "y": -0.2})


def pie(names: Sequence[str], values: Sequence[float], theme: str, height: int = 320) -> go.Figure:
    """A donut of shares."""
    if not sum(values):
        return empty_figure("Nothing to show", theme, height)
    fig = _figure(go.Pie(labels=labels(names), values=list(values), hole=0.5, sort=True, textinfo="percent"))
    return _layout(fig, theme, height, hovermode="closest", legend={"orientation": "v"})


def gauge(seconds: float | None, title: str, theme: str, height: int = 230) -> go.Figure:
    """Delivery-time gauge: green under 3 s, amber under 10 s, red from 10 s."""
    value = seconds if seconds is not None else 0
    color = next((c for lo, hi, c in GAUGE_STEPS if lo <= value < hi), GAUGE_STEPS[-1][2])
    fig = _figure(go.Indicator(
        mode="gauge+number", value=value, number={"suffix": " s", "valueformat": ".2f"}, title={"text": label(title)},
        gauge={"axis": {"range": [0, max(30, value * 1.1)]}, "bar": {"color": color},
               "steps": [{"range": [lo, hi], "color": c, "thickness": 0.15} for lo, hi, c in GAUGE_STEPS]}))
    if seconds is None:
        fig.update_traces(number={"font": {"color": "rgba(0,0,0,0)"}})
        fig.add_annotation(text="no deliveries", showarrow=False, x=0.5, y=0.2, xref="paper", yref="paper")
    return _layout(fig, theme, height, margin={"l": 24, "r": 24, "t": 48, "b": 8})


def sparkline(df: pd.DataFrame, theme: str, height: int = 80, color: str = "#0d6efd") -> go.Figure:
    """A bare trend line (queue size over the last hour)."""
    fig = _figure()
    if not df.empty:
        fig.add_scatter(x=df["time"], y=df["value"], mode=_mode(len(df)), fill="tozeroy",
                        line={"color": color, "width": 2})
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False, rangemode="tozero")
    return _layout(fig, theme, height, margin={"l": 0, "r": 0, "t": 0, "b": 0}, showlegend=False)
