"""The "Sources (ZoneMTA plugins)" table: per MTA node, what its plugin processes report in their heartbeats —
processes reporting, last heartbeat, buffer and spool, events lost at the source (red when any), the last send
error, versions, and a red "silent since …" flag for a node whose heartbeats stopped."""

from __future__ import annotations

from datetime import UTC, datetime

import dash_bootstrap_components as dbc
from dash import html

NONE_YET = "No plugin heartbeats yet — plugin version ≥ 0.2 sends them."


def ago(seconds: float | None) -> str:
    """A short relative time: '12 s ago', '3 min ago', '2.5 h ago', '3.0 d ago'."""
    if seconds is None:
        return "never"
    seconds = max(0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s ago"
    if seconds < 7200:
        return f"{seconds // 60:.0f} min ago"
    return f"{seconds / 3600:.1f} h ago" if seconds < 172_800 else f"{seconds / 86400:.1f} d ago"


def _utc(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _state(n: dict) -> dbc.Badge:
    if n["silent"]:
        return dbc.Badge(f"silent since {_utc(n['last_heartbeat'])}", color="danger", className="silent-badge ms-2",
                         title="no heartbeat from any of its processes for 3 x their interval")
    return dbc.Badge("reporting", color="success", className="silent-badge ms-2")


def _versions(n: dict) -> str:
    plugin = ", ".join(n["plugin_versions"]) or "-"
    return f"{plugin} / {', '.join(n['zonemta_versions']) or '-'}"


def _row(n: dict) -> html.Tr:
    lost = n["lost"]
    error = n["last_error"] or ""
    return html.Tr([
        html.Td([html.Span(n["node"], className="fw-semibold"), _state(n)]),
        html.Td(f"{n['processes_reporting']} / {n['processes_known']}", className="text-end source-processes"),
        html.Td(ago(n["last_heartbeat_age_seconds"]), className="source-last",
                title=_utc(n["last_heartbeat"]) if n["last_heartbeat"] else ""),
        html.Td(f"{n['buffered']:,}", className="text-end source-buffered"),
        html.Td(f"{n['spooled']:,}", className="text-end source-spooled"),
        html.Td(f"{lost:,}", className="text-end source-lost" + (" text-danger fw-bold" if lost else "")),
        html.Td(error[:80], className="small text-muted source-error", title=error),
        html.Td(_versions(n), className="small source-versions"),
    ], className="table-danger" if n["silent"] else "", id=f"source-node-{n['node']}")


def sources_table(nodes: list[dict] | None) -> html.Div | dbc.Table:
    """The table, one row per node (heartbeats.read's summaries); a one-line note when there are none."""
    if nodes is None:
        return html.Div("Plugin heartbeats are unavailable (Redis unreachable).", className="text-danger")
    if not nodes:
        return html.Div(NONE_YET, className="text-muted", id="sources-none")
    head = html.Thead(html.Tr([html.Th("Node"), html.Th("Processes", className="text-end",
                                                         title="reporting / known (last 24 h)"),
                               html.Th("Last heartbeat"), html.Th("Buffered", className="text-end"),
                               html.Th("Spooled", className="text-end"),
                               html.Th("Lost at source", className="text-end",
                                       title="events the plugins had to drop (normally 0)"),
                               html.Th("Last error"), html.Th("Plugin / ZoneMTA")]))
    return dbc.Table([head, html.Tbody([_row(n) for n in nodes])], size="sm", className="mb-0",
                     id="sources-table")
