"""Compare with the previous period: the switch, its URL key (`compare=1`, so a shared link shows it too) and the
dashed traces of the previous range of equal length, shifted onto the current x-axis.

The previous range ends where the current one starts and has the same length and bucket width, so shifting it by
that length puts each previous bucket exactly under the current bucket it is compared with.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import parse_qsl

import dash_bootstrap_components as dbc
import pandas as pd
import plotly.graph_objects as go

from components.figures import label
from components.urlstate import query_string, view_state

KEY = "compare"
PREVIOUS = "previous"  # customdata of a previous-period point: a click on it opens no drill-down
_ON = ("1", "true", "yes")


def enabled(search: str | None) -> bool:
    """Whether the URL asks for the previous-period overlay."""
    return dict(parse_qsl((search or "").lstrip("?")[:4096])).get(KEY, "") in _ON


def with_compare(search: str | None, on: bool) -> str:
    """The URL query with compare=1 set (on) or removed (off), everything else kept."""
    state = view_state(search)
    state["extra"] = {k: v for k, v in state["extra"].items() if k != KEY} | ({KEY: "1"} if on else {})
    return query_string(state)


def previous_label(search: str | None) -> str:
    """The legend prefix of the previous period: "previous 24h", or "previous period" for a custom range."""
    rng = view_state(search)["range"]
    return "previous period" if rng == "custom" else f"previous {rng}"


def switch(id_: str, query: dict) -> dbc.Switch:
    """The compare switch of one chart, set from the page's URL query when the layout is built (so no callback
    races a first click) and kept in step with the URL afterwards."""
    return dbc.Switch(id=id_, label="Compare with previous period", value=query.get(KEY, "") in _ON,
                      className="small mb-0 ms-3")


def shifted(times: Sequence, seconds: float) -> pd.Series:
    """Bucket times moved forward by the range length, onto the current x-axis (naive UTC, as Plotly draws)."""
    stamps = pd.to_datetime(pd.Series(list(times)), utc=True) + pd.Timedelta(seconds=seconds)
    return stamps.dt.tz_localize(None)


def overlay(fig: go.Figure, frame: pd.DataFrame, series: Sequence[tuple[str, str, str | None]], prefix: str,
            seconds: float, stacked: bool = False) -> go.Figure:
    """Add one dashed line per (column, name, colour) of the previous period's frame (a 'time' column), shifted by
    `seconds`; stacked lines sit on the tops of the current stacked areas. An empty frame or figure is left alone."""
    if frame.empty or not fig.data:
        return fig
    x = shifted(frame["time"], seconds)
    for column, name, color in series:
        fig.add_scatter(x=x, y=frame[column], name=label(f"{prefix}: {name}"), mode="lines",
                        line={"dash": "dash", "width": 1.5, "color": color}, customdata=[PREVIOUS] * len(frame),
                        **({"stackgroup": PREVIOUS, "fill": "none"} if stacked else {}))
    return fig
