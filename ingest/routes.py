"""POST /api/v1/events/ingest: EVENT_SCHEMA.md's contract. 202 means the valid events are durable in Redis.

The hot path costs one Redis round trip: the key is checked in memory (bootstrap keys, or the cached mirror of
managed keys), the body is validated, and one script applies both rate limits and buffers the rows (ingest.gate).
Only when a class had no drain pending is a drain job enqueued, which under load is rare.
"""

from __future__ import annotations

import functools
import logging

import msgspec
import redis
from flask import Response, current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

from ingest import auth, bp, derive, gate, schema
from pipeline import buffer, jobs, telemetry

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"
_encode = msgspec.json.Encoder().encode


@functools.lru_cache(maxsize=4)
def _providers(path: str | None) -> derive.ProviderMap:
    return derive.ProviderMap.load(path)


def _error(status: int, message: str, rejected: list | None = None, **headers: str):
    body = {"error": message, "queued": 0, "rejected": rejected or []}
    return jsonify(body), status, headers


def _unavailable(rejected: list | None = None):
    return _error(503, "event queue unavailable, retry later", rejected, **{"Retry-After": RETRY_AFTER_SECONDS})


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    return _error(413, "body too large")


def limits(source: str | None, kind: str = "events") -> list[gate.Limit]:
    """The rate limits this request counts against: its address always, its key when it has a valid one. Each
    kind of request (events, heartbeats) has counters of its own, so heartbeats never use up the events' budget."""
    settings = current_app.extensions["settings"]
    out = _cached_limits(settings.ingest_rate_limit, f"{kind}:ip:{request.remote_addr}")
    if source is not None:
        out = out + _cached_limits(settings.ingest_key_rate_limit, f"{kind}:key:{source}")
    return out


@functools.lru_cache(maxsize=4096)
def _cached_limits(rate: str, scope: str) -> list[gate.Limit]:
    return gate.limits_for(rate, scope)


def admit(counted: list[gate.Limit], rows: list[tuple] = (), rejected: list[dict] = ()):
    """Run the gate for a request; None when admitted, else the response to send (429 or 503)."""
    try:
        result = current_app.extensions["ingest_gate"].admit(
            counted, buffer.split(rows), telemetry.rejections(rejected))
    except redis.RedisError as exc:
        log.warning("ingest: Redis cannot take %d events: %s", len(rows), exc)
        return _unavailable(list(rejected))
    if isinstance(result, gate.Refused):
        limit = result.limit
        message = f"rate limit exceeded ({limit.amount} per {limit.window} s for this {limit.scope.split(':')[1]})"
        return _error(429, message, **{"Retry-After": str(result.retry_after)})
    for cls in result:
        _start_drain(cls)
    return None


def _start_drain(cls: str) -> None:
    conn = current_app.extensions["redis"]
    try:
        jobs.start_drain(conn, cls)
    except redis.RedisError as exc:  # the rows are buffered; the scheduler's kick starts the drain instead
        log.warning("ingest: could not enqueue the %s drain: %s", cls, exc)


@bp.post("/ingest")
def ingest():
    """Validate a batch, buffer the valid events, report the invalid ones by index."""
    settings = current_app.extensions["settings"]
    source = auth.identify(request)
    if source == auth.UNAVAILABLE:
        return _error(503, "cannot check the API key right now, retry later", **{"Retry-After": RETRY_AFTER_SECONDS})
    if source is None:
        refusal = admit(limits(None))  # a wrong key counts against its address only
        return refusal or _error(401, "missing or invalid API key", **{"WWW-Authenticate": "Bearer"})
    request.max_content_length = settings.ingest_max_body_bytes
    try:
        rows, rejected = schema.parse_events(
            request.get_data(cache=False), max_events=settings.ingest_max_batch,
            retention_days=settings.raw_retention_days, providers=_providers(settings.provider_map_file),
            source=source)
    except schema.BodyError as exc:
        return admit(limits(source)) or _error(400, str(exc))
    refusal = admit(limits(source), rows, rejected)
    if refusal is not None:
        return refusal
    if not rows:
        return _error(400, "no valid events in the body", rejected)
    return Response(_encode({"queued": len(rows), "rejected": rejected}), 202, mimetype="application/json")
