"""The URL query as the one source of the global view state: range (or custom from/to), refresh, theme, kiosk.

`view_state(search)` is the one parser of every page's URL state: it never raises, falls back to defaults and lists
what it ignored (`problems`, shown in the page banner). The shell callback below
keeps the top-bar controls and the URL in step in both directions (a bookmark sets the controls; a control
rewrites the URL without reloading the page).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import parse_qsl, urlencode

from dash import ClientsideFunction, Input, Output, callback, clientside_callback, ctx, no_update

from components.shell import RANGES, REFRESH

_RANGE_VALUES = {v for v, _ in RANGES}
_REFRESH_VALUES = {v for v, _ in REFRESH}
GLOBAL_KEYS = ("range", "from", "to", "refresh", "theme", "kiosk")


_TIME_FORMATS = ("%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S")
_TRUE, _FALSE = ("1", "true", "yes"), ("", "0", "false", "no")
MAX_REFRESH = 86_400


def _shown(value: str) -> str:
    return repr(value[:40])[1:-1] + ("…" if len(value) > 40 else "")


def _time(value: str | None) -> datetime | None:
    """A custom-range bound as the shell's datetime-local control writes it (UTC, optional seconds and Z)."""
    text = (value or "").strip().removesuffix("Z").removesuffix("z")
    for fmt in _TIME_FORMATS:
        try:
            parsed = datetime.strptime(text, fmt)
        except ValueError:
            continue
        return parsed if 2000 <= parsed.year < 2100 else None
    return None


def _refresh(raw: str | None, default: int, problems: list[str]) -> int:
    if raw is None:
        return default
    if raw.isascii() and raw.isdigit() and int(raw) <= MAX_REFRESH:
        return int(raw)
    problems.append(f"Ignored refresh={_shown(raw)}: not a whole number of seconds (0-{MAX_REFRESH})")
    return default


def _range(query: dict, problems: list[str]) -> tuple[str, str | None, str | None]:
    rng = query.get("range", "24h")
    if rng not in _RANGE_VALUES:
        problems.append(f"Ignored range={_shown(rng)}: not one of {', '.join(sorted(_RANGE_VALUES))}")
        return "24h", None, None
    if rng != "custom":
        return rng, None, None
    start, end = _time(query.get("from")), _time(query.get("to"))
    if start is None or end is None or start >= end:
        problems.append(f"Ignored the custom range from={_shown(query.get('from') or '')} "
                        f"to={_shown(query.get('to') or '')}: give two UTC times like 2026-11-27T10:00, from "
                        "before to")
        return "24h", None, None
    return "custom", start.strftime("%Y-%m-%dT%H:%M:%S"), end.strftime("%Y-%m-%dT%H:%M:%S")


def view_state(search: str | None, default_refresh: int = 0) -> dict:
    """The view state of a URL query string. Never raises: a value that cannot be used falls back to its default and
    is described in `problems` (the page banner shows them)."""
    problems: list[str] = []
    query = dict(parse_qsl((search or "").lstrip("?")[:4096]))
    rng, start, end = _range(query, problems)
    kiosk = query.get("kiosk", "")
    if kiosk not in _TRUE + _FALSE:
        problems.append(f"Ignored kiosk={_shown(kiosk)}: use 1 or 0")
    theme = query.get("theme") or ("dark" if kiosk in _TRUE else "light")
    if theme not in ("dark", "light"):
        problems.append(f"Ignored theme={_shown(theme)}: use dark or light")
    refresh = _refresh(query.get("refresh"), default_refresh, problems)
    return {"range": rng, "from": start, "to": end, "refresh": refresh,
            "theme": "dark" if theme == "dark" else "light", "kiosk": kiosk in _TRUE,
            "extra": {k: v for k, v in query.items() if k not in GLOBAL_KEYS}, "problems": problems}


def filter_args(state: dict) -> dict:
    """The query-API arguments (range or from/to) of a view state, for store.filters.Filters.from_query."""
    if state["range"] == "custom":
        return {"from": state["from"] + "Z", "to": state["to"] + "Z"}
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
        state.update(range=rng if rng in _RANGE_VALUES else "24h", refresh=_refresh(str(refresh or 0), 0, []),
                     theme="dark" if dark else "light", **{"from": start, "to": end})
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
