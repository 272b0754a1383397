"""POST /api/v1/events/ingest: EVENT_SCHEMA.md's contract. 202 means the valid events are durable in Redis."""

from __future__ import annotations

import functools
import logging

import redis
import rq
from flask import current_app, jsonify, request
from werkzeug.exceptions import RequestEntityTooLarge

import buffer
import tally
from ingest import auth, bp, derive, schema

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "5"


@functools.lru_cache(maxsize=4)
def _providers(path: str | None) -> derive.ProviderMap:
    return derive.ProviderMap.load(path)


def _error(status: int, message: str, rejected: list | None = None, **headers: str):
    body = {"error": message, "queued": 0, "rejected": rejected or []}
    return jsonify(body), status, headers


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(_exc):
    return _error(413, "body too large")


@bp.post("/ingest")
def ingest():
    """Validate a batch, buffer the valid events, report the invalid ones by index."""
    settings = current_app.extensions["settings"]
    source = auth.identify(request)
    if source is None:
        return _error(401, "missing or invalid API key", **{"WWW-Authenticate": "Bearer"})
    if source == auth.UNAVAILABLE:
        return _error(503, "cannot check the API key right now, retry later", **{"Retry-After": RETRY_AFTER_SECONDS})
    request.max_content_length = settings.ingest_max_body_bytes
    try:
        rows, rejected = schema.parse_events(
            request.get_data(cache=False), max_events=settings.ingest_max_batch,
            retention_days=settings.raw_retention_days, providers=_providers(settings.provider_map_file),
            source=source)
    except schema.BodyError as exc:
        return _error(400, str(exc))
    if not rows:
        _count_rejected(current_app.extensions["redis"], rejected)
        return _error(400, "no valid events in the body", rejected)
    try:
        _enqueue(current_app.extensions["redis"], rows, rejected)
    except redis.RedisError as exc:
        log.warning("ingest: Redis cannot take %d events: %s", len(rows), exc)
        return _error(503, "event queue unavailable, retry later", rejected, **{"Retry-After": RETRY_AFTER_SECONDS})
    return jsonify(queued=len(rows), rejected=rejected), 202


def _count_rejected(conn: redis.Redis, rejected: list[dict]) -> None:
    """Count a wholly rejected request (its own round trip: this is not the hot path); never fails the request."""
    try:
        pipe = conn.pipeline(transaction=False)
        tally.count_ingest(pipe, {}, tally.rejections(rejected))
        pipe.execute()
    except redis.RedisError:
        log.warning("ingest: could not count %d rejected events", len(rejected))


def _enqueue(conn: redis.Redis, rows: list[tuple], rejected: list[dict]) -> None:
    for cls in buffer.push(conn, rows, tally.rejections(rejected)):
        rq.Queue(buffer.QUEUES[cls], connection=conn).enqueue(buffer.DRAIN_JOB, cls, job_timeout=300)
