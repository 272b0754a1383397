"""POST /api/v1/events/heartbeat: a ZoneMTA plugin process reports its counters (docs/HEARTBEAT.md, contract v1).

Same keys as ingest; the body is one JSON object, validated by msgspec, with every bad field reported in a 400. The
latest heartbeat per process is kept in Redis (pipeline/heartbeats.py, one round trip); PostgreSQL is never touched.
"""

from __future__ import annotations

import contextlib
import json
import logging
from typing import Annotated, Any

import msgspec
import redis
from flask import current_app, jsonify, request

from ingest import auth, bp, routes
from pipeline import heartbeats

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 16_384  # a heartbeat is ~600 bytes; anything much larger is not one
_NO_CONTROL = r"^[^\x00-\x1f\x7f\ud800-\udfff]*$"  # shown on the dashboard and stored as JSON: text only
_HOSTNAME_LIKE = r"^[^\s\x00-\x1f\x7f\ud800-\udfff]+$"
_MESSAGE = r"^[^\x00\ud800-\udfff]*$"  # an error text may span lines; it must still be Unicode text
_PATTERN_REASONS = {"mta_node": "must be hostname-like: no spaces or control characters",
                    "last_error": "must be Unicode text without NUL characters"}
_COUNT = Annotated[int, msgspec.Meta(ge=0, le=2**53)]
_EPOCH_MS = Annotated[int, msgspec.Meta(ge=0, le=2**53)]


def _text(hi: int, lo: int = 0, pattern: str = _NO_CONTROL) -> Any:
    return Annotated[str, msgspec.Meta(min_length=lo, max_length=hi, pattern=pattern)]


class Heartbeat(msgspec.Struct, forbid_unknown_fields=False):
    """One heartbeat as the plugin sends it; unknown keys are ignored."""

    mta_node: _text(255, 1, _HOSTNAME_LIKE)  # the same value the process's events carry in `mta_node`
    process_id: _text(128, 1)
    started_at: _EPOCH_MS
    sent_at: _EPOCH_MS
    interval_seconds: Annotated[int, msgspec.Meta(ge=1, le=300)]
    plugin_version: _text(32, 1)
    seen: _COUNT
    sent: _COUNT
    rejected: _COUNT
    dropped: _COUNT
    buffered: _COUNT
    spooled: _COUNT
    pid: _COUNT | None = None
    zonemta_version: _text(32) | None = None
    node_version: _text(32) | None = None
    spool_bytes: _COUNT | None = None
    last_error: _text(500, pattern=_MESSAGE) | None = None
    last_error_at: _EPOCH_MS | None = None


_FIELDS = {f.name: (f.type, f.required) for f in msgspec.structs.fields(Heartbeat)}


class InvalidHeartbeat(ValueError):
    """The body is not a valid heartbeat; `errors` lists [{field, reason}]."""

    def __init__(self, message: str, errors: list[dict] | None = None):
        super().__init__(message)
        self.errors = errors or []


def parse(body: bytes) -> Heartbeat:
    """The heartbeat in a request body, or InvalidHeartbeat naming every bad field."""
    with contextlib.suppress(msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # ValidationError included
        return msgspec.json.decode(body, type=Heartbeat)
    try:  # the slow path only for bad bodies: find every reason, not just msgspec's first
        raw = json.loads(body)
    except (ValueError, RecursionError) as exc:
        raise InvalidHeartbeat(f"body is not valid JSON: {str(exc)[:200]}") from None
    if not isinstance(raw, dict):
        raise InvalidHeartbeat("body must be one JSON object (a heartbeat)")
    errors = [{"field": name, "reason": "required field is missing"}
              for name, (_kind, required) in _FIELDS.items() if required and name not in raw]
    for name, (kind, required) in _FIELDS.items():
        if name in raw and (raw[name] is not None or required):
            errors.extend(_field_error(name, raw[name], kind))
    raise InvalidHeartbeat("invalid heartbeat", errors or [{"field": "(body)", "reason": "invalid heartbeat"}])


def _field_error(name: str, value: Any, kind: Any) -> list[dict]:
    try:
        msgspec.convert(value, kind)
    except (msgspec.ValidationError, OverflowError, RecursionError, UnicodeEncodeError) as exc:
        reason = str(exc).split(" - at ")[0]
        if "matching regex" in reason:  # msgspec quotes the regex: say what it means instead
            reason = _PATTERN_REASONS.get(name, "must be text without control characters")
        return [{"field": name, "reason": reason[:200]}]
    return []


def _refuse(status: int, message: str, errors: list[dict] | None = None, **headers: str):
    body = {"error": message} | ({"errors": errors} if errors is not None else {})
    return jsonify(body), status, headers


@bp.post("/heartbeat")
def heartbeat():
    """Keep a plugin process's latest heartbeat; 202 {"ok": true}."""
    source = auth.identify(request)
    if source == auth.UNAVAILABLE:
        return _refuse(503, "cannot check the API key right now, retry later", **{"Retry-After": "15"})
    refusal = routes.admit(routes.limits(source, kind="heartbeats"))
    if refusal is not None:
        return refusal
    if source is None:
        return _refuse(401, "missing or invalid API key", **{"WWW-Authenticate": "Bearer"})
    request.max_content_length = MAX_BODY_BYTES
    try:
        beat = parse(request.get_data(cache=False))
    except InvalidHeartbeat as exc:
        return _refuse(400, str(exc), exc.errors)
    try:
        heartbeats.record(current_app.extensions["redis"], msgspec.structs.asdict(beat) | {"source": source})
    except redis.RedisError as exc:
        log.warning("heartbeat from %s: Redis unavailable: %s", beat.mta_node, exc)
        return _refuse(503, "heartbeat store unavailable, retry at the next interval", **{"Retry-After": "15"})
    return jsonify(ok=True), 202
