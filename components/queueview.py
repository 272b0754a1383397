"""Queue page pieces: total with sparkline, per-node bars with stale markers, ages, oldest message, reasons."""

from __future__ import annotations

import dash_bootstrap_components as dbc
import pandas as pd
from dash import html

from components import figures


def _age(seconds: int) -> str:
    if seconds < 3600:
        return f"{seconds // 60} min"
    return f"{seconds / 3600:.1f} h" if seconds < 86400 else f"{seconds / 86400:.1f} d"


def trend_frame(trend: list[dict] | None) -> pd.DataFrame:
    """Queue-size trend as a time/value frame."""
    frame = pd.DataFrame([{"time": t["ts"], "value": t["total"]} for t in trend or []], columns=["time", "value"])
    frame["time"] = pd.to_datetime(frame["time"])
    return frame


def node_status(nodes: list[dict]) -> html.Div:
    """One line per node: name, counts, and a 'stale since …' badge with the error when its API is down."""
    if not nodes:
        return html.Div("No ZoneMTA node polled yet (set ZONEMTA_NODES; the scheduler polls every 10 s).",
                        className="text-muted", id="queue-no-nodes")
    rows = []
    for n in nodes:
        badge = (dbc.Badge(f"stale since {(n.get('since') or 'never')[:19].replace('T', ' ')}", color="warning",
                           text_color="dark", className="stale-badge ms-2", title=n.get("error") or "")
                 if n["stale"] else dbc.Badge("live", color="success", className="stale-badge ms-2"))
        rows.append(html.Tr([html.Td([html.Span(n["node"], className="fw-semibold"), badge]),
                             html.Td(f"{n['active']:,}", className="text-end"),
                             html.Td(f"{n['deferred']:,}", className="text-end"),
                             html.Td((n.get("error") or "")[:80], className="small text-muted")],
                            className="table-warning" if n["stale"] else "", id=f"queue-node-{n['node']}"))
    head = html.Thead(html.Tr([html.Th("Node"), html.Th("Active", className="text-end"),
                               html.Th("Deferred", className="text-end"), html.Th("")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", className="mb-0", id="queue-node-table")


def oldest_card(oldest: dict | None) -> html.Div:
    """The oldest queued message: age, id (links to its timeline), zone, recipient domain, node."""
    if not oldest:
        return html.Div("The queues are empty.", className="text-muted")
    return html.Div([
        html.Div(_age(oldest["age_seconds"]), className="kpi-value"),
        html.Div([html.A(oldest["id"], href=f"/message/{oldest['id']}", className="mono"),
                  f" · zone {oldest.get('zone') or '-'} · to {oldest.get('recipient_domain') or '-'}"
                  f" · on {oldest.get('node') or '-'}"], className="small"),
    ])


def node_bars(nodes: list[dict], theme: str):
    """Queue per node, horizontal bars; stale nodes keep their last value and say so in the label."""
    labels = [n["node"] + (" (stale)" if n["stale"] else "") for n in nodes]
    return figures.hbar(labels, [n["total"] for n in nodes], theme, height=260, x_title="messages queued")


AGE_LABELS = {"lt_5m": "< 5 min", "5m_30m": "5–30 min", "30m_2h": "30 min–2 h", "2h_6h": "2–6 h",
              "6h_24h": "6–24 h", "gt_24h": "> 24 h"}


def age_bars(ages: list[dict], theme: str):
    """Queued messages per age bracket."""
    return figures.hbar([AGE_LABELS.get(a["bracket"], a["bracket"]) for a in ages], [a["count"] for a in ages], theme,
                        height=260, color="#6f42c1", x_title="messages")


def _status(ok: bool, text: str) -> dbc.Badge:
    return dbc.Badge(text, color="success" if ok else "danger", className="ms-1")


def health_panel(h: dict | None) -> html.Div:
    """Mailflow's own pipeline: database, backlog, lag, last commit, dead letters, rejected events by reason."""
    if h is None:
        return html.Div("Pipeline health is unavailable (Redis unreachable).", className="text-danger")
    backlog = sum(h["backlog"].values())
    lag = h["oldest_buffered_age_seconds"]
    last = h["last_commit_age_seconds"]
    rejected = ", ".join(f"{k} {v:,}" for k, v in sorted(h["rejected_last_hour"].items(), key=lambda kv: -kv[1]))
    rows = [
        ("Database", _status(h["database"] == "ok", h["database"])),
        ("Backlog (events buffered)", html.Span(f"{backlog:,}", className="fw-semibold" if backlog else "")),
        ("Oldest buffered event", "—" if lag is None else f"{lag:,.0f} s old"),
        ("Last commit", "never" if last is None else f"{last:,.0f} s ago"),
        ("Dead letters", _status(h["dead_letters"] == 0, f"{h['dead_letters']:,}")),
        ("Rejected events, last hour", rejected or "none"),
    ]
    return dbc.Table(html.Tbody([html.Tr([html.Th(k, className="fw-normal text-muted"), html.Td(v)])
                                 for k, v in rows]), size="sm", className="mb-0", id="pipeline-health")
