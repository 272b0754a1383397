"""The alerts API: `GET /api/v1/alerts` (rules with their state, recent history, failed notifications; any logged-in
user) and `POST /api/v1/alerts/rules`, `PUT`/`DELETE /api/v1/alerts/rules/<id>` (admins).

The writes take JSON only: another content type is a 415, so an HTML form on another site (which can send only
form encodings or text/plain) cannot create a rule; with the session cookie's SameSite=Lax and the Origin check
below that closes cross-site requests. Bad rules get a 400 listing every field with its reason.
"""

from __future__ import annotations

import logging

import msgspec
from flask import Blueprint, current_app, g, jsonify, request

from api.errors import error_response, json_errors
from store import alert_log, alert_rules, alert_stats, db
from store.alert_rules import RuleError

bp = Blueprint("alerts_api", __name__, url_prefix="/api/v1/alerts")
log = logging.getLogger(__name__)
MAX_BODY = 65_536
HISTORY = 50


json_errors(bp, "alerts API")


def _refusal(json_body: bool = True):
    """None when the request may write; else the error response (role, origin, content type, body size)."""
    who = getattr(g, "identity", None)
    if who is None or not who.is_admin:
        return error_response(403, "admin role required")
    origin = request.headers.get("Origin")
    if origin and origin.rstrip("/") != request.host_url.rstrip("/"):
        return error_response(403, "cross-origin requests may not change alert rules")
    if not json_body:
        return None
    if request.mimetype != "application/json":
        return error_response(415, "send the rule as JSON (Content-Type: application/json)")
    if (request.content_length or 0) > MAX_BODY:
        return error_response(413, f"the body may be at most {MAX_BODY} bytes")
    return None


def _rule():
    """The validated rule of the request body (RuleError otherwise)."""
    try:
        payload = msgspec.json.decode(request.get_data(cache=False)[:MAX_BODY + 1])
    except msgspec.DecodeError as exc:
        raise RuleError([{"field": "$", "reason": f"not valid JSON: {exc}"}]) from None
    settings = current_app.extensions["settings"]
    return alert_rules.parse(payload, email_configured=bool(settings.smtp_host and settings.smtp_from))


def _by_id(conn, rule_id: int) -> dict | None:
    return next((r for r in alert_rules.rules(conn) if r["id"] == rule_id), None)


@bp.get("")
def overview():
    """Every rule with its state, the newest transitions and the notifications that failed."""
    with db.engine().connect() as conn:
        rules = [alert_rules.public(r) for r in alert_rules.rules(conn)]
        history = [{**h, "at": h["at"].isoformat()} for h in alert_log.history(conn, HISTORY)]
        failed = [{**f, "updated_at": f["updated_at"].isoformat()} for f in alert_log.failed(conn)]
    return jsonify(rules=rules, firing=sum(r["state"] == "firing" for r in rules), history=history,
                   failed_notifications=failed,
                   notifications=alert_stats.notifications(current_app.extensions["redis"]))


@bp.post("/rules")
def create_rule():
    """Create a rule: 201 with the rule."""
    refused = _refusal()
    if refused:
        return refused
    try:
        rule = _rule()
        with db.engine().begin() as conn:
            rule_id = alert_rules.create(conn, rule, g.identity.name)
            row = _by_id(conn, rule_id)
    except RuleError as exc:
        return error_response(400, "invalid rule", exc.errors)
    return jsonify(rule=alert_rules.public(row)), 201


def _rule_id(raw: str) -> int | None:
    return int(raw) if raw.isdigit() and 0 < len(raw) <= 18 else None


@bp.put("/rules/<rule_id>")
def replace_rule(rule_id: str):
    """Replace a rule's definition (its state starts over): 200 with the rule, 404 when there is none."""
    refused = _refusal()
    if refused:
        return refused
    number = _rule_id(rule_id)
    try:
        rule = _rule()
        with db.engine().begin() as conn:
            if number is None or not alert_rules.update(conn, number, rule):
                return error_response(404, "no such alert rule")
            row = _by_id(conn, number)
    except RuleError as exc:
        return error_response(400, "invalid rule", exc.errors)
    return jsonify(rule=alert_rules.public(row))


@bp.delete("/rules/<rule_id>")
def delete_rule(rule_id: str):
    """Delete a rule (its history stays): 204, 404 when there is none."""
    refused = _refusal(json_body=False)
    if refused:
        return refused
    number = _rule_id(rule_id)
    with db.engine().begin() as conn:
        if number is None or not alert_rules.delete(conn, number):
            return error_response(404, "no such alert rule")
    return "", 204
