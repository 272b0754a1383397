"""The Alerts page's drawing: the rules with their state, the history of transitions, the notifications that
failed, and (for admins) the rule form. Plain HTML tables: every value is rendered as text.
"""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

METRIC_LABELS = {
    "bounce_rate": "Bounce rate (fraction, e.g. 0.05)", "deferral_rate": "Deferral rate (fraction, e.g. 0.2)",
    "queue_size": "Queue size (messages)", "queue_oldest_age": "Oldest queued message (seconds)",
    "pipeline_lag": "Pipeline lag (seconds)", "dead_letters": "Dead letters (jobs)",
    "silent_node": "Silent node (minutes)", "source_lost": "Events lost at the source (events)",
}
SCOPES = [("", "everything"), ("provider", "provider"), ("domain", "destination domain"), ("node", "node"),
          ("ip", "sending IP"), ("sender", "sender domain")]


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else ""


def _number(value) -> str:
    return "no data" if value is None else f"{value:g}"


def state_badge(state: str, muted: bool) -> dbc.Badge:
    """Firing in red, ok in green; muted rules say so."""
    label = ("firing" if state == "firing" else "ok") + (" (muted)" if muted else "")
    return dbc.Badge(label, color="danger" if state == "firing" else "success", className="alert-state")


def _table(id_: str, head: list[str], rows: list[list], empty: str) -> html.Div:
    if not rows:
        return html.Div(empty, id=id_, className="text-muted small")
    return html.Div(dbc.Table([html.Thead(html.Tr([html.Th(h) for h in head])),
                               html.Tbody([html.Tr([html.Td(c) for c in row]) for row in rows])],
                              size="sm", hover=True, responsive=True, className="mb-0"), id=id_)


def rules_table(rules: list[dict]) -> html.Div:
    """The rules with their state, value and notification targets."""
    rows = [[r["name"], r["metric"], " ".join(f"{k}={v}" for k, v in r["scope"].items()) or "everything",
             f"{r['window_minutes']} min", _number(r["threshold"]), r["min_events"],
             state_badge(r["state"], r["muted"]), _number(r["value"]) + (f" ({r['subject']})" if r["subject"] else ""),
             (r["since"] or "")[:16].replace("T", " "),
             ", ".join(v for t in r["notify"] for v in t.values()) or "none"] for r in rules]
    return _table("alerts-rules-table", ["Rule", "Metric", "Scope", "Window", "Threshold", "Min events", "State",
                                         "Value", "Since (UTC)", "Notify"], rows, "No alert rules yet.")


def history_table(history: list[dict]) -> html.Div:
    """The newest transitions and how their notifications fared."""
    rows = [[_when(h["at"]), h["rule_name"], state_badge("firing" if h["state"] == "firing" else "ok", False),
             _number(h["value"]) + (f" ({h['subject']})" if h["subject"] else ""), _number(h["threshold"]),
             f"{h['sent']} sent, {h['failed']} failed, {h['pending']} pending"] for h in history]
    return _table("alerts-history-table", ["At", "Rule", "Became", "Value", "Threshold", "Notifications"], rows,
                  "No transitions yet.")


def failed_table(failed: list[dict]) -> html.Div:
    """Notifications that gave up after their last retry."""
    rows = [[_when(f["updated_at"]), f["rule_name"], f["state"], f["channel"], f["target"], f["attempts"],
             f["error"] or ""] for f in failed]
    return _table("alerts-failed-table", ["At", "Rule", "Transition", "Channel", "Target", "Attempts", "Error"], rows,
                  "No failed notifications.")


def _field(label: str, control) -> dbc.Col:
    return dbc.Col([dbc.Label(label, className="small mb-0"), control], md=3)


def form(hidden: bool) -> dbc.Card:
    """The admin's rule editor: pick a rule to edit, or fill the form to create one (hidden from viewers: the
    callbacks refuse their actions anyway)."""
    inputs = [
        _field("Name", dbc.Input(id="alerts-name", maxlength=100, size="sm")),
        _field("Metric", dbc.Select(id="alerts-metric", value="bounce_rate", size="sm",
                                    options=[{"label": v, "value": k} for k, v in METRIC_LABELS.items()])),
        _field("Scope", dbc.Select(id="alerts-scope-kind", value="", size="sm",
                                   options=[{"label": lbl, "value": v} for v, lbl in SCOPES])),
        _field("Scope value", dbc.Input(id="alerts-scope-value", placeholder="e.g. gmail, mta-01", size="sm")),
        _field("Threshold", dbc.Input(id="alerts-threshold", type="number", size="sm", min=0)),
        _field("Window (minutes)", dbc.Input(id="alerts-window", type="number", value=15, size="sm", min=1)),
        _field("Minimum events", dbc.Input(id="alerts-min-events", type="number", value=0, size="sm", min=0)),
        _field("Webhook URL", dbc.Input(id="alerts-webhook", placeholder="https://hooks.slack.com/…", size="sm")),
        _field("E-mail", dbc.Input(id="alerts-email", placeholder="noc@example.net", size="sm")),
        _field("Edit rule", dcc.Dropdown(id="alerts-pick", placeholder="pick a rule to edit", clearable=True)),
    ]
    buttons = [dbc.Button(label, id=f"alerts-{action}", color=color, size="sm", n_clicks=0, className="me-2")
               for action, label, color in (("create", "Create rule", "primary"), ("save", "Save changes",
                                                                                    "secondary"),
                                            ("mute", "Mute / unmute", "warning"), ("delete", "Delete", "danger"))]
    body = [dbc.Row(inputs, className="g-2"), html.Div(buttons, className="mt-3"), html.Div(id="alerts-result")]
    return dbc.Card([dbc.CardHeader("Edit rules (admin)"), dbc.CardBody(body)], className="shadow-sm mb-3",
                    id="alerts-form", style={"display": "none"} if hidden else None)


def result(message: str | None, ok: bool = True) -> dbc.Alert | None:
    """The outcome line of an admin action."""
    if not message:
        return None
    return dbc.Alert(message, color="success" if ok else "danger", className="py-2 mt-2 mb-0", id="alerts-outcome")


def _card(title: str, id_: str) -> dbc.Card:
    return dbc.Card([dbc.CardHeader(title), dbc.CardBody(html.Div(id=id_))], className="shadow-sm mb-3")


def layout(is_admin: bool) -> html.Div:
    """The page skeleton (callbacks fill the tables)."""
    return html.Div([
        dcc.Interval(id="alerts-interval", interval=15_000),
        html.Div(html.Small("Rules are evaluated every minute. A rule fires at its threshold and resolves after 3 "
                            "evaluations in a row below 80 % of it.", className="text-muted"), className="mb-2"),
        form(hidden=not is_admin),
        _card("Rules", "alerts-rules"), _card("History", "alerts-history"),
        _card("Failed notifications", "alerts-failed"),
    ], id="alerts-page")
