"""The OpenAPI 3 document of the query API, served at /api/v1/openapi.json (outside the blueprint's prefix, added
to the app when the blueprint is registered). Hand-written; parameters carry enums, formats and bounds so that a
schema-driven fuzzer can exercise every endpoint.
"""

from __future__ import annotations

import msgspec
from flask import jsonify

from api import bp
from api.csv_export import FORMATS
from api.routes import MAX_EXPORT_ROWS, MAX_STATS_GROUPS, PARAMS
from pipeline.vocabulary import DIRECTIONS, EVENT_TYPES
from store.alert_rules import METRICS, Rule
from store.breakdown import DIMS, SORTS, STATS_DIMS
from store.filters import RANGES

_TEXT = {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[^\\x00-\\x1f\\x7f]+$"}
_TIME = {"type": "string", "description": "RFC 3339 with offset (2026-11-28T09:00:00Z) or epoch milliseconds",
         "anyOf": [{"format": "date-time"}, {"pattern": "^[0-9]{1,15}$"}]}
PARAMETERS = {
    "range": ({"type": "string", "enum": list(RANGES), "default": "24h"},
              "Preset range ending now (default 24h); not with from/to. < 6 h reads 5-minute buckets, "
              "6 h-7 d hourly, longer daily; the range is widened to whole UTC buckets."),
    "from": (_TIME, "Explicit start (inclusive, rounded down to a bucket); not with range."),
    "to": (_TIME, "Explicit end (exclusive, rounded up to a bucket); needs from; default now."),
    "direction": ({"type": "string", "enum": list(DIRECTIONS)}, "Only this direction."),
    "node": (_TEXT, "Only this MTA node."),
    "zone": (_TEXT, "Only this sending zone."),
    "domain": (_TEXT, "Only this peer domain: recipient domain (outbound) or sender domain (inbound)."),
    "provider": (_TEXT, "Only this mailbox provider group (gmail, outlook, yahoo, ..., other)."),
    "limit": ({"type": "integer", "minimum": 1, "maximum": 100, "default": 10}, "Number of groups shown."),
}
_FORMAT = ({"type": "string", "enum": list(FORMATS), "default": "json"},
           "csv: a streamed text/csv attachment (also chosen by Accept: text/csv when format is absent); text cells "
           "starting with = + - @ tab or CR get a leading ' against formula injection; null is an empty cell.")
_ENDPOINTS = {
    "throughput": ("Events per bucket and type, zero-filled over the range",
                   "Honours direction, node, zone, or (instead of node/zone) domain or provider. by=node gives "
                   "one series per node and cannot be combined with domain or provider.",
                   {"by": ({"type": "string", "enum": ["node"]}, "One series per node.")}),
    "stats": ("Per-group counts, rates, bytes and delivery times (top N + other + total)",
              "by=node|zone honour direction, node, zone. by=domain|provider|ip|sender|category honour direction, "
              "and by=domain a domain filter, by=provider a provider filter. by=sender groups outbound events by "
              "sender domain (the from address's domain; inbound senders are by=domain&direction=inbound). Rates "
              "are per received event. avg/P95 delivery times are of delivered events; P95 is null where no "
              "histogram exists (ip, sender, category).",
              {"by": ({"type": "string", "enum": list(STATS_DIMS + DIMS), "default": "domain"}, "Grouping."),
               "sort": ({"type": "string", "enum": list(SORTS), "default": "total"},
                        "Sort field, descending (key ascending)."),
               "limit": ({"type": "integer", "minimum": 1, "maximum": MAX_STATS_GROUPS},
                         f"Number of groups shown: 1-100, default 10; with format=csv up to and by default "
                         f"{MAX_STATS_GROUPS}, i.e. every group (the CSV's row column says group, other or total)."),
               "format": _FORMAT}),
    "performance": ("Delivery time of delivered events: avg, P50/P95/P99, brackets, trend, by domain and provider",
                    "direction defaults to outbound. Honours node and zone, or domain or provider. Percentiles "
                    "are within 4 % (log bins); bracket edges are moved to the nearest bin boundary, reported "
                    "as from_ms/to_ms. by_domain and by_provider (top `limit` by delivered, each with avg_ms, "
                    "p95_ms, p99_ms) are null with node or zone filters, by_domain also with a provider filter "
                    "and by_provider with a domain filter.",
                    {"limit": PARAMETERS["limit"]}),
    "sizes": ("Size brackets and average-size trend of received events",
              "Honours direction, node, zone (domain and provider are not available).", {}),
    "bounce-analysis": ("Failures by category, reason class, domain, provider and SMTP response",
                        "Failures are deferred, bounced, rejected and greylisted events. Honours direction only.",
                        {"limit": PARAMETERS["limit"]}),
    "summary": ("Counters per direction and type, per-hour rates and outcome rates",
                "Honours direction, node, zone, or (instead of node/zone) domain or provider.", {}),
    "events": ("Raw events newest first, keyset-paginated",
               "Exact from/to (not widened). q searches the sender, recipient and Message-ID within the range: a "
               "whole address or Message-ID (one token with an @, <> optional) is an indexed exact match over any "
               "range (addresses ignore case); anything else is a case-insensitive substring match over at most "
               "7 days. The response's search says which (exact, substring or null). Pass next_cursor back as "
               "cursor for the next page.",
               {"type": ({"type": "string", "enum": list(EVENT_TYPES)}, "Only this event type."),
                "queue_id": ({**_TEXT, "maxLength": 64}, "Only this queue id."),
                "q": ({**_TEXT, "maxLength": 200},
                      "Whole address or Message-ID (exact, any range), or a substring (at most 7 days)."),
                "ip": ({"type": "string", "maxLength": 45, "anyOf": [{"format": "ipv4"}, {"format": "ipv6"}]},
                       "Only events sent from (outbound) or received on (inbound) this local IP."),
                "sender": (_TEXT, "Only events whose sender address is in this domain (case-insensitive)."),
                "cursor": ({"type": "string", "maxLength": 600}, "next_cursor of the previous page."),
                "limit": ({"type": "integer", "minimum": 1, "maximum": 500, "default": 50},
                          "Page size (not with format=csv)."),
                "format": (_FORMAT[0], _FORMAT[1] + f" The CSV holds every event of the range newest first, at "
                           f"most {MAX_EXPORT_ROWS}; a trailing '# truncated' line marks a capped export.")}),
}
_ERROR = {"description": "Invalid, unsupported or repeated parameter",
          "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
_OK = {"description": "OK", "content": {"application/json": {"schema": {"type": "object"}}}}
_OK_CSV = {"description": "OK (JSON, or CSV with format=csv / Accept: text/csv)",
           "content": {**_OK["content"], "text/csv": {"schema": {"type": "string"}}}}


def _param(name: str, schema: dict, description: str, where: str = "query") -> dict:
    return {"name": name, "in": where, "required": where == "path", "schema": schema, "description": description}


def document() -> dict:
    """The OpenAPI 3.0 document as a dict."""
    paths = {}
    for endpoint, (summary, description, own) in _ENDPOINTS.items():
        params = [_param(n, *own.get(n, PARAMETERS.get(n, ({}, "")))) for n in sorted(PARAMS[endpoint])]
        paths[f"/api/v1/email/{endpoint}"] = {"get": {
            "summary": summary, "description": description, "operationId": endpoint.replace("-", "_"),
            "parameters": params,
            "responses": {"200": _OK_CSV if "format" in own else _OK, "400": _ERROR, "503": _ERROR}}}
    paths["/api/v1/email/messages/{queue_id}"] = {"get": {
        "summary": "Every event of one message (queue id) in time order", "operationId": "message_timeline",
        "parameters": [_param("queue_id", {**_TEXT, "maxLength": 64}, "ZoneMTA queue id", "path")],
        "responses": {"200": _OK, "400": _ERROR, "404": _ERROR}}}
    paths.update(_alert_paths())
    return {"openapi": "3.0.3",
            "info": {"title": "Mailflow query API", "version": "1.0.0",
                     "description": "Read-only email-flow figures from the rollups (raw events only for the event "
                                    "list and message timeline). Times are RFC 3339 UTC. Unknown parameters are "
                                    "rejected with 400. The alert rules under /api/v1/alerts are the one part "
                                    "admins write (JSON bodies only)."},
            "paths": paths,
            "components": {"schemas": {"Error": {"type": "object", "required": ["error"],
                                                 "properties": {"error": {"type": "string"}}},
                                       **_rule_schemas()}}}


def _rule_schemas() -> dict:
    (_ref,), schemas = msgspec.json.schema_components([Rule], ref_template="#/components/schemas/{name}")
    rule = schemas["Rule"]
    for prop in rule["properties"].values():  # JSON Schema 2020's numeric exclusive bound in OpenAPI 3.0's form
        if isinstance(prop.get("exclusiveMinimum"), int | float) and not isinstance(prop["exclusiveMinimum"], bool):
            prop["minimum"], prop["exclusiveMinimum"] = prop["exclusiveMinimum"], True
    rule["description"] = ("An alert rule. metric units: " + "; ".join(f"{m}: {u}" for m, (u, _s) in METRICS.items())
                           + ". scope: at most one of provider, domain, node, ip, sender (rates take any; queue, "
                           "silent and lost metrics only node). notify: [{\"webhook\": url} | {\"email\": address}].")
    return schemas


def _alert_paths() -> dict:
    body = {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Rule"}}}}
    invalid = {**_ERROR, "description": "Invalid rule: error plus errors[{field, reason}]"}
    refused = {**_ERROR, "description": "Not an admin, or a cross-origin request"}
    json415 = {**_ERROR, "description": "The body is not application/json"}
    rule_id = _param("rule_id", {"type": "integer", "minimum": 1}, "Rule id", "path")
    missing = {**_ERROR, "description": "No such rule"}
    return {
        "/api/v1/alerts": {"get": {
            "summary": "Alert rules with their state (firing/ok, value, since), recent transitions and failed "
                       "notifications", "operationId": "alerts", "responses": {"200": _OK}}},
        "/api/v1/alerts/rules": {"post": {
            "summary": "Create an alert rule (admin; JSON only)", "operationId": "create_alert_rule",
            "requestBody": body, "responses": {"201": _OK, "400": invalid, "403": refused, "415": json415}}},
        "/api/v1/alerts/rules/{rule_id}": {
            "put": {"summary": "Replace an alert rule; its state starts over (admin; JSON only)",
                    "operationId": "replace_alert_rule", "parameters": [rule_id], "requestBody": body,
                    "responses": {"200": _OK, "400": invalid, "403": refused, "404": missing, "415": json415}},
            "delete": {"summary": "Delete an alert rule; its history stays (admin)", "operationId": "delete_alert_rule",
                       "parameters": [rule_id], "responses": {"204": {"description": "Deleted"}, "403": refused,
                                                               "404": missing}}},
    }


def openapi_json():
    """GET /api/v1/openapi.json."""
    return jsonify(document())


@bp.record_once
def _mount(state) -> None:
    state.app.add_url_rule("/api/v1/openapi.json", "api_openapi", openapi_json, methods=["GET"])
