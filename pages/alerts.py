"""Alerts page (/alerts): every rule with its state, the history of transitions and failed notifications for all
users; admins also create, edit, mute and delete rules. Dash callbacks arrive on /_dash-update-component, so the
write actions check the admin role themselves.
"""

from __future__ import annotations

import logging

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, no_update
from flask import current_app, g
from redis import RedisError

from components import alerts as view
from pages import _context
from store import alert_log, alert_rules, alert_stats, db
from store.alert_rules import RuleError

dash.register_page(__name__, path="/alerts", name="Alerts", order=6, title="Mailflow: alerts")
log = logging.getLogger(__name__)
ACTIONS = ("create", "save", "mute", "delete")
FORM = ("name", "metric", "scope-kind", "scope-value", "threshold", "window", "min-events", "webhook", "email")


def _is_admin() -> bool:
    who = getattr(g, "identity", None)
    return bool(who and who.is_admin)


def layout(**_query):
    """The page; the rule form only for admins."""
    return view.layout(_is_admin())


def _payload(name, metric, kind, value, threshold, window, min_events, webhook, email) -> dict:
    notify = ([{"webhook": webhook.strip()}] if webhook and webhook.strip() else []) + \
        ([{"email": email.strip()}] if email and email.strip() else [])
    body = {"name": (name or "").strip(), "metric": metric, "threshold": threshold, "notify": notify,
            "scope": {kind: (value or "").strip()} if kind else {}}
    body |= {k: v for k, v in (("window_minutes", window), ("min_events", min_events)) if v is not None}
    return body


def _act(conn, action: str, pick, payload: dict) -> str:
    settings = current_app.extensions["settings"]
    if action == "create":
        rule = alert_rules.parse(payload, bool(settings.smtp_host and settings.smtp_from))
        alert_rules.create(conn, rule, g.identity.name)
        return f"Rule {rule.name!r} created."
    current = next((r for r in alert_rules.rules(conn) if r["id"] == pick), None)
    if current is None:
        raise RuleError([{"field": "rule", "reason": "pick a rule first"}])
    if action == "save":
        rule = alert_rules.parse(payload | {"muted": current["muted"]}, bool(settings.smtp_host and
                                                                            settings.smtp_from))
        alert_rules.update(conn, pick, rule)
        return f"Rule {rule.name!r} saved; its state starts over."
    if action == "mute":
        alert_rules.mute(conn, pick, not current["muted"])
        return f"Rule {current['name']!r} {'unmuted' if current['muted'] else 'muted'}."
    alert_rules.delete(conn, pick)
    return f"Rule {current['name']!r} deleted (its history stays)."


@callback(Output("alerts-rules", "children"), Output("alerts-history", "children"),
          Output("alerts-failed", "children"), Output("alerts-pick", "options"),
          Output("alerts-result", "children"),
          Input("alerts-interval", "n_intervals"),
          *[Input(f"alerts-{a}", "n_clicks") for a in ACTIONS],
          State("alerts-pick", "value"),
          *[State(f"alerts-{f}", "value") for f in FORM])
def refresh(_tick, _create, _save, _mute, _delete, pick, *form):
    """Apply an admin action if one was clicked, then show the rules, history and failed notifications."""
    action = str(ctx.triggered_id or "").removeprefix("alerts-")
    message, ok = None, True
    if action in ACTIONS:
        if not _is_admin():
            return no_update, no_update, no_update, no_update, view.result("The admin role is required.", False)
        try:
            with db.engine().begin() as conn:
                message = _act(conn, action, pick, _payload(*form))
        except RuleError as exc:
            message, ok = "; ".join(f"{e['field']}: {e['reason']}" for e in exc.errors), False
    shown = _context.load(_read)
    if shown is None:
        return no_update, no_update, no_update, no_update, view.result(message, ok)
    rules, history, failed = shown
    _context.clear_error()
    options = [{"label": r["name"], "value": r["id"]} for r in rules]
    return (view.rules_table(rules), view.history_table(history), view.failed_table(failed), options,
            view.result(message, ok))


def _read(conn):
    return ([alert_rules.public(r) for r in alert_rules.rules(conn)], alert_log.history(conn),
            alert_log.failed(conn))


@callback(*[Output(f"alerts-{f}", "value") for f in FORM], Input("alerts-pick", "value"), prevent_initial_call=True)
def load_rule(pick):
    """Fill the form with the picked rule, for editing."""
    if pick is None or not _is_admin():
        return [no_update] * len(FORM)
    with db.engine().connect() as conn:
        rule = next((r for r in alert_rules.rules(conn) if r["id"] == pick), None)
    if rule is None:
        return [no_update] * len(FORM)
    targets = {k: v for t in rule["notify"] for k, v in t.items()}
    return (rule["name"], rule["metric"], rule["scope_kind"] or "", rule["scope_value"] or "", rule["threshold"],
            rule["window_minutes"], rule["min_events"], targets.get("webhook", ""), targets.get("email", ""))


@callback(Output("nav-alerts", "children"), Input("url", "pathname"))
def nav_badge(_path):
    """The navbar entry with the number of firing rules (from the last evaluation, in Redis) as a red badge."""
    try:
        firing = alert_stats.firing(_context.redis_conn())
    except RedisError as exc:  # the badge is an extra: the page itself reports an outage
        log.warning("firing count unavailable: %s", exc)
        return no_update
    if not firing:
        return "Alerts"
    return ["Alerts", dbc.Badge(str(firing), color="danger", pill=True, className="ms-1", id="nav-alerts-firing")]
