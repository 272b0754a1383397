"""Event list and message timeline rendering: rows of raw events as Bootstrap tables (all text escaped by React)."""

from __future__ import annotations

from urllib.parse import quote

import dash_bootstrap_components as dbc
from dash import dcc, html

TYPE_BADGE = {"received": "primary", "delivered": "success", "deferred": "warning", "bounced": "danger",
              "rejected": "danger", "greylisted": "info", "dropped": "secondary"}


def _badge(event_type: str) -> dbc.Badge:
    return dbc.Badge(event_type, color=TYPE_BADGE.get(event_type, "secondary"), className="text-uppercase")


def _ms(ms) -> str:
    if ms is None:
        return ""
    return f"{ms / 1000:.2f} s" if ms < 120_000 else f"{ms / 60_000:.1f} min"


def _peer(e: dict) -> str:
    return (e["to_address"] if e["direction"] == "outbound" else e["from_address"]) or ""


def event_table(events: list[dict]) -> html.Div:
    """The events list: time, type, node, recipient/sender, response; the queue id links to the timeline."""
    if not events:
        return html.Div("No events match these filters in this range.", className="text-muted p-3",
                        id="events-empty")
    head = html.Thead(html.Tr([html.Th(h) for h in ("Time (UTC)", "Type", "Node", "Queue id", "Peer", "Category",
                                                    "Response", "Delivery")]))
    body = html.Tbody([html.Tr([
        html.Td(e["timestamp"].replace("T", " ").rstrip("Z"), className="mono text-nowrap"),
        html.Td(_badge(e["event_type"])), html.Td(e["mta_node"]),
        html.Td(dcc.Link(e["queue_id"], href=f"/message/{quote(e['queue_id'], safe='')}", className="mono")
                if e["queue_id"] else ""),
        html.Td(_peer(e), className="text-break"), html.Td(e["bounce_category"] or ""),
        html.Td((e["smtp_response"] or "")[:160], className="mono text-break"),
        html.Td(_ms(e["delivery_time_ms"]), className="text-nowrap"),
    ]) for e in events])
    return dbc.Table([head, body], size="sm", hover=True, responsive=True, className="table-events mb-0")


def timeline(events: list[dict]) -> html.Div:
    """One message's events in time order, each with its full response and attempt."""
    if not events:
        return html.Div("No events are stored for this queue id (it may be older than the raw retention).",
                        className="text-muted", id="timeline-empty")
    items = [dbc.ListGroupItem([
        html.Div([html.Span(e["timestamp"].replace("T", " ").rstrip("Z"), className="mono me-3"),
                  _badge(e["event_type"]),
                  html.Span(f" {e['direction']} · {e['mta_node']} · seq {e['seq'] or '-'}", className="ms-2"),
                  html.Span(f" · attempt {e['attempt']}" if e["attempt"] else ""),
                  html.Span(f" · after {_ms(e['delivery_time_ms'])}" if e["delivery_time_ms"] is not None else "")]),
        html.Div([html.Span(f"{e['from_address'] or '<>'} → {e['to_address'] or ''}"),
                  html.Span(f" via {e['mx_host']}" if e["mx_host"] else ""),
                  html.Span(f" [{e['remote_ip']}]" if e["remote_ip"] else "")], className="small"),
        html.Div(e["smtp_response"] or "", className="mono small text-break"),
    ]) for e in events]
    return dbc.ListGroup(items, flush=True, id="timeline-list")
