"""Alert rules: the JSON shape an admin sends (validated with msgspec, every problem as field + reason), the metric
catalogue, and the rules table with each rule's current state (sql/queries/alerts.sql).

Shared by the API, the Alerts page and the evaluator, so a rule means the same thing wherever it is made.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

import msgspec
from sqlalchemy.engine import Connection

from pipeline import inet
from store import queries

# metric -> (unit of value and threshold, scopes it accepts)
RATE_SCOPES = ("provider", "domain", "node", "ip", "sender")
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "bounce_rate": ("fraction of outcomes", RATE_SCOPES),
    "deferral_rate": ("fraction of outcomes", RATE_SCOPES),
    "queue_size": ("messages", ("node",)),
    "queue_oldest_age": ("seconds", ("node",)),
    "pipeline_lag": ("seconds", ()),
    "dead_letters": ("jobs", ()),
    "silent_node": ("minutes", ("node",)),
    "source_lost": ("events", ("node",)),
}
RATES = ("bounce_rate", "deferral_rate")
_TEXT = r"^[^\x00-\x1f\x7f]+$"
_EMAIL = re.compile(r"^[^@\s<>,;\"]{1,64}@[A-Za-z0-9.-]{1,253}\.[A-Za-z]{2,63}$")
_URL = re.compile(r"^https?://[^\s/?#]+[^\s]*$")
_AT = re.compile(r"- at `\$\.?(.*)`$")
_NAMED = re.compile(r"field `([^`]+)`")


class RuleError(ValueError):
    """An invalid rule: every problem as {"field", "reason"}."""

    def __init__(self, errors: list[dict[str, str]]):
        self.errors = errors
        super().__init__("; ".join(f"{e['field']}: {e['reason']}" for e in errors))


class Rule(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """One alert rule as the API and the page take it."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=100, pattern=_TEXT)]
    metric: Literal[tuple(METRICS)]  # type: ignore[valid-type]
    threshold: Annotated[float, msgspec.Meta(gt=0, le=1e12)]
    scope: dict[str, Annotated[str, msgspec.Meta(min_length=1, max_length=255, pattern=_TEXT)]] = {}
    window_minutes: Annotated[int, msgspec.Meta(ge=1, le=1440)] = 15
    min_events: Annotated[int, msgspec.Meta(ge=0, le=1_000_000_000)] = 0
    notify: Annotated[list[dict[str, str]], msgspec.Meta(max_length=10)] = []
    muted: bool = False


def parse(payload: Any, email_configured: bool) -> Rule:
    """A validated Rule from decoded JSON; RuleError listing what is wrong (email needs SMTP configured)."""
    try:
        rule = msgspec.convert(payload, Rule)
    except msgspec.ValidationError as exc:
        raise RuleError([_field_of(str(exc))]) from None
    errors = _scope_errors(rule) + _canonical_ip_scope(rule) + _notify_errors(rule.notify, email_configured)
    if rule.metric in RATES and rule.threshold > 1:
        errors.append({"field": "threshold", "reason": "a rate is a fraction between 0 and 1 (0.05 = 5 %)"})
    if errors:
        raise RuleError(errors)
    return rule


def _field_of(message: str) -> dict[str, str]:
    at, named = _AT.search(message), _NAMED.search(message)
    field = at.group(1) if at and at.group(1) else (named.group(1) if named else "$")
    return {"field": field, "reason": _AT.sub("", message).strip()}


def _scope_errors(rule: Rule) -> list[dict[str, str]]:
    allowed = METRICS[rule.metric][1]
    if len(rule.scope) > 1:
        return [{"field": "scope", "reason": "give at most one of " + ", ".join(RATE_SCOPES)}]
    return [{"field": f"scope.{kind}", "reason": f"{rule.metric} can be scoped only by " + (", ".join(allowed) or
                                                                                        "nothing")}
            for kind in rule.scope if kind not in allowed]


def _canonical_ip_scope(rule: Rule) -> list[dict[str, str]]:
    """Put an ip scope in the spelling rollups key a sending IP by (pipeline.inet), or an error when it is no
    address: a rule written "2001:DB8::A" would otherwise never match."""
    if "ip" not in rule.scope:
        return []
    value = inet.canonical(rule.scope["ip"])
    if value is None:
        return [{"field": "scope.ip", "reason": "must be an IPv4 or IPv6 address (without a %zone)"}]
    rule.scope["ip"] = value
    return []


def _notify_errors(targets: list[dict[str, str]], email_configured: bool) -> list[dict[str, str]]:
    errors = []
    for i, target in enumerate(targets):
        field = f"notify[{i}]"
        if len(target) != 1 or next(iter(target)) not in ("webhook", "email"):
            errors.append({"field": field, "reason": 'must be {"webhook": url} or {"email": address}'})
        elif "webhook" in target and not (_URL.match(target["webhook"]) and len(target["webhook"]) <= 2000):
            errors.append({"field": f"{field}.webhook", "reason": "must be an http:// or https:// URL"})
        elif "email" in target and not _EMAIL.match(target["email"]):
            errors.append({"field": f"{field}.email", "reason": "must be one address like ops@example.net"})
        elif "email" in target and not email_configured:
            errors.append({"field": f"{field}.email", "reason": "e-mail needs SMTP_HOST and SMTP_FROM configured"})
    return errors


def _params(rule: Rule) -> dict[str, Any]:
    kind, value = next(iter(rule.scope.items()), (None, None))
    return {"name": rule.name, "metric": rule.metric, "scope_kind": kind, "scope_value": value,
            "window_minutes": rule.window_minutes, "threshold": rule.threshold, "min_events": rule.min_events,
            "notify": json.dumps(rule.notify), "muted": rule.muted}


def create(conn: Connection, rule: Rule, created_by: str | None) -> int:
    """Insert a rule (caller commits); RuleError when the name is taken."""
    if any(r["name"] == rule.name for r in rules(conn)):
        raise RuleError([{"field": "name", "reason": "a rule with this name exists"}])
    return queries.execute(conn, "alert_rule_insert", _params(rule) | {"created_by": created_by}).scalar_one()


def update(conn: Connection, rule_id: int, rule: Rule) -> bool:
    """Replace a rule's definition (its state starts over); False when there is no such rule."""
    existing = rules(conn)
    if not any(r["id"] == rule_id for r in existing):
        return False
    if any(r["name"] == rule.name and r["id"] != rule_id for r in existing):
        raise RuleError([{"field": "name", "reason": "another rule has this name"}])
    return queries.execute(conn, "alert_rule_update", _params(rule) | {"id": rule_id}).first() is not None


def mute(conn: Connection, rule_id: int, muted: bool) -> bool:
    """Mute or unmute a rule; False when there is no such rule."""
    return queries.execute(conn, "alert_rule_mute", {"id": rule_id, "muted": muted}).first() is not None


def delete(conn: Connection, rule_id: int) -> bool:
    """Delete a rule (its history stays, by name); False when there is no such rule."""
    return queries.execute(conn, "alert_rule_delete", {"id": rule_id}).first() is not None


def rules(conn: Connection) -> list[dict]:
    """Every rule with its state columns, by name."""
    return [dict(r) for r in queries.execute(conn, "alert_rules").mappings()]


def public(row: dict) -> dict:
    """A rule row as the API shows it (JSON-ready)."""
    iso = {k: row[k].isoformat() if row[k] else None for k in ("created_at", "updated_at", "changed_at",
                                                                 "evaluated_at")}
    return {"id": row["id"], "name": row["name"], "metric": row["metric"], "unit": METRICS[row["metric"]][0],
            "scope": {row["scope_kind"]: row["scope_value"]} if row["scope_kind"] else {},
            "window_minutes": row["window_minutes"], "threshold": row["threshold"], "min_events": row["min_events"],
            "notify": row["notify"], "muted": row["muted"], "created_by": row["created_by"],
            "state": row["state"], "value": row["value"], "observed": row["observed"], "subject": row["subject"],
            "since": iso["changed_at"], "evaluated_at": iso["evaluated_at"], "created_at": iso["created_at"],
            "updated_at": iso["updated_at"]}
