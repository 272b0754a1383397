"""The URL query as the one source of the global view state: range (or custom from/to), refresh, theme, kiosk.

`view_state(search)` parses a query string into a plain dict every page callback can use; the shell callback below
keeps the top-bar controls and the URL in step in both directions (a bookmark sets the controls; a control
rewrites the URL without reloading the page).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode

from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, no_update

from components.shell import RANGES, REFRESH

_RANGE_VALUES = {v for v, _ in RANGES}
_REFRESH_VALUES = {v for v, _ in REFRESH}
GLOBAL_KEYS = ("range", "from", "to", "refresh", "theme", "kiosk")


def view_state(search: str | None, default_refresh: int = 0) -> dict:
    """The view state of a URL query string, with defaults; unknown values fall back to the defaults."""
    query = dict(parse_qsl((search or "").lstrip("?")))
    rng = query.get("range", "24h")
    if rng not in _RANGE_VALUES or (rng == "custom" and not (query.get("from") and query.get("to"))):
        rng = "24h"
    refresh = query.get("refresh", str(default_refresh))
    kiosk = query.get("kiosk") in ("1", "true", "yes")
    theme = query.get("theme") or ("dark" if kiosk else "light")
    return {"range": rng, "from": query.get("from"), "to": query.get("to"),
            "refresh": int(refresh) if refresh in _REFRESH_VALUES or refresh.isdigit() else 0,
            "theme": "dark" if theme == "dark" else "light", "kiosk": kiosk,
            "extra": {k: v for k, v in query.items() if k not in GLOBAL_KEYS}}


def filter_args(state: dict) -> dict:
    """The query-API arguments (range or from/to) of a view state, for store.filters.Filters.from_query."""
    if state["range"] == "custom":
        return {"from": state["from"] + ("" if state["from"].endswith("Z") else ":00Z"),
                "to": state["to"] + ("" if state["to"].endswith("Z") else ":00Z")}
    return {"range": state["range"]}


def query_string(state: dict) -> str:
    """The URL query for a view state (defaults left out, page-specific keys kept)."""
    params = dict(state.get("extra", {}))
    if state["range"] != "24h":
        params["range"] = state["range"]
    if state["range"] == "custom":
        params.update({"from": state["from"], "to": state["to"]})
    if state["refresh"]:
        params["refresh"] = str(state["refresh"])
    if state["kiosk"]:
        params["kiosk"] = "1"
    if state["theme"] == "dark" and not state["kiosk"] or state["theme"] == "light" and state["kiosk"]:
        params["theme"] = state["theme"]
    return "?" + urlencode(params) if params else ""


@callback(
    Output("url", "search"), Output("shell-range", "value"), Output("shell-refresh", "value"),
    Output("shell-dark", "value"), Output("shell-from", "value"), Output("shell-to", "value"),
    Output("shell-interval", "disabled"), Output("shell-interval", "interval"), Output("shell-theme", "data"),
    Output("shell-custom", "className"),
    Input("url", "search"), Input("shell-range", "value"), Input("shell-refresh", "value"),
    Input("shell-dark", "value"), Input("shell-from", "value"), Input("shell-to", "value"),
)
def sync_url_and_controls(search, rng, refresh, dark, start, end):
    """Bookmark -> controls, or control -> URL (the other direction stays untouched)."""
    state = view_state(search)
    if ctx.triggered_id not in (None, "url"):
        state.update(range=rng, refresh=int(refresh or 0), theme="dark" if dark else "light",
                     **{"from": start, "to": end})
        if rng == "custom" and not (start and end):
            return (no_update,) * 9 + ("d-flex",)
        search = query_string(state)
        state = view_state(search)
    timing = (not state["refresh"], max(state["refresh"], 1) * 1000)
    custom = "d-flex" if state["range"] == "custom" else "d-none"
    return (search if ctx.triggered_id not in (None, "url") else no_update, state["range"], str(state["refresh"]),
            state["theme"] == "dark", state["from"], state["to"], *timing, state["theme"], custom)


clientside_callback(ClientsideFunction("mailflow", "applyView"), Output("shell-sink", "data"),
                    Input("shell-theme", "data"), Input("url", "search"))
