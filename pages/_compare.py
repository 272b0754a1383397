"""Page glue of the previous-period comparison: the previous range's Filters, and the two callbacks that keep a
chart's compare switch and the URL's compare key in step (a bookmark sets the switch; the switch rewrites the URL).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import plotly.graph_objects as go
from dash import Input, Output, State, callback, no_update

from components import compare, reports
from components.theme import TYPE_COLORS, TYPE_LABELS
from pages import _context
from store.filters import Filters


def previous(f: Filters) -> Filters:
    """The range of equal length (same resolution, same bucket edges) that ends where f starts."""
    return f.replace(start=f.start - (f.end - f.start), end=f.start)


def seconds(f: Filters) -> float:
    """The range length: how far the previous period's points move to sit under the current ones."""
    return (f.end - f.start).total_seconds()


def throughput_overlay(fig: go.Figure, search: str | None, f: Filters, fetch: Callable, direction: str,
                       types: Sequence[str]) -> go.Figure:
    """The throughput figure plus the previous period's stacked lines (dashed) when the URL asks for them."""
    if not compare.enabled(search):
        return fig
    before = _context.load(fetch, previous(f))
    if before is None:
        return fig
    series = [(t, TYPE_LABELS[direction][t], TYPE_COLORS[t]) for t in types]
    return compare.overlay(fig, reports.series_frame(before["series"]), series, compare.previous_label(search),
                           seconds(f), stacked=True)


def register(switch_id: str) -> None:
    """Wire one compare switch to the URL."""

    @callback(Output(switch_id, "value"), Input("url", "search"), prevent_initial_call=True)
    def show_compare(search):
        """The switch follows later URL changes (back, forward); the layout sets its first value from the URL."""
        return compare.enabled(search)

    @callback(Output("url", "search", allow_duplicate=True), Input(switch_id, "value"), State("url", "search"),
              prevent_initial_call=True)
    def keep_compare(on, search):
        """A flipped switch rewrites the URL (no reload); the charts redraw from the URL like for any view change."""
        if bool(on) == compare.enabled(search):
            return no_update
        return compare.with_compare(search, bool(on))
