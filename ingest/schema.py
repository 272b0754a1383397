"""The wire contract (EVENT_SCHEMA.md v1) as a msgspec type, and `parse_events`: body bytes -> rows + rejections.

The fast path decodes and validates a whole batch in one msgspec call. Only when that fails does the slow path run,
event by event and field by field, so that each bad event is reported with its index and every reason, and the good
events of the same batch still go through. Pure: no Flask, no Redis.
"""

from __future__ import annotations

import json
import math
import time
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec

from ingest import derive, grammar
from pipeline import inet
from pipeline.vocabulary import DIRECTIONS, EVENT_TYPES

FUTURE_SLACK_MS = 5 * 60 * 1000
REAL_MAX, REAL_MIN = 3.4e38, 1.2e-38  # the range of a PostgreSQL real (float4)


def _text(lo: int, hi: int) -> Any:
    return Annotated[str, msgspec.Meta(min_length=lo, max_length=hi)]


class Event(msgspec.Struct, forbid_unknown_fields=False):
    """One event as it arrives; unknown keys are ignored (never stored)."""

    event_id: _text(1, 128)
    event_type: Literal[EVENT_TYPES]
    direction: Literal[DIRECTIONS]
    timestamp: Annotated[int, msgspec.Meta(ge=0)] | Annotated[datetime, msgspec.Meta(tz=True)]
    mta_node: _text(1, 255)
    queue_id: _text(0, 64) | None = None
    seq: _text(0, 16) | None = None
    message_id: _text(0, 998) | None = None
    zone: _text(0, 64) | None = None
    from_address: _text(0, 320) | None = None
    from_domain: _text(0, 255) | None = None
    to_address: _text(0, 320) | None = None
    to_domain: _text(0, 255) | None = None
    local_ip: _text(0, 45) | None = None
    remote_ip: _text(0, 45) | None = None
    mx_host: _text(0, 255) | None = None
    smtp_code: Annotated[int, msgspec.Meta(ge=200, le=599)] | None = None
    smtp_response: str | None = None
    bounce_category: _text(0, 32) | None = None
    message_size: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None
    delivery_time_ms: Annotated[int, msgspec.Meta(ge=0, le=2**53)] | None = None
    attempt: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    tls: bool | None = None
    spam_score: float | None = None


_BATCH = list[Event] | Event
_FIELDS = {f.name: f.type for f in msgspec.structs.fields(Event)}
_REQUIRED = {"event_id", "event_type", "direction", "timestamp", "mta_node"}


class BodyError(ValueError):
    """The body as a whole is unusable (not JSON, wrong shape, too many events)."""


def parse_events(body: bytes, *, max_events: int, retention_days: int, now_ms: int | None = None,
                 providers: derive.ProviderMap | None = None, source: str | None = None,
                 ) -> tuple[list[tuple], list[dict]]:
    """Validate a request body; return (rows ready to store, [{index, errors: [{field, reason}]}])."""
    now_ms = now_ms if now_ms is not None else int(time.time() * 1000)
    try:
        decoded = msgspec.json.decode(body, type=_BATCH)
        events: list[Any] = decoded if isinstance(decoded, list) else [decoded]
        _check_count(len(events), max_events)
    except (msgspec.DecodeError, UnicodeDecodeError, RecursionError):  # ValidationError included; 1e400 too
        # (invalid UTF-8 and very deep nesting raise the last two; the slow path turns them into a 400)
        events = _slow_decode(body, max_events)
    rows, rejected = [], []
    oldest_ms = now_ms - retention_days * 86_400_000
    check_text = b"\\u" in body  # only a \u escape can smuggle in a NUL or a lone surrogate: rare, so test first
    for index, item in enumerate(events):
        errors = item if isinstance(item, list) else _semantic_errors(item, oldest_ms, now_ms)
        if check_text and not errors:
            errors = _text_errors(item)
        if errors:
            rejected.append({"index": index, "errors": errors})
        else:
            rows.append(derive.row(item, providers, source))
    return rows, rejected


def _check_count(count: int, max_events: int) -> None:
    if count == 0:
        raise BodyError("the body holds no events")
    if count > max_events:
        raise BodyError(f"too many events: {count} > {max_events} per request")


def _slow_decode(body: bytes, max_events: int) -> list[Event | list[dict]]:
    """Per-event validation; each element is an Event or that event's list of errors."""
    try:
        raw = json.loads(body, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise BodyError(f"body is not valid JSON: {str(exc)[:200]}") from None
    if isinstance(raw, dict):
        raw = [raw]
    if not isinstance(raw, list):
        raise BodyError("body must be a JSON object (one event) or an array of events")
    _check_count(len(raw), max_events)
    return [_convert_one(item) for item in raw]


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not valid JSON")


def _convert_one(item: Any) -> Event | list[dict]:
    if not isinstance(item, dict):
        return [{"field": "(event)", "reason": "each event must be a JSON object"}]
    try:
        return msgspec.convert(item, Event)
    except (msgspec.ValidationError, OverflowError, RecursionError, UnicodeEncodeError):  # the last: lone surrogates
        return _field_errors(item)


def _field_errors(item: dict) -> list[dict]:
    errors = [{"field": f, "reason": "required field is missing"} for f in sorted(_REQUIRED - item.keys())]
    for name, kind in _FIELDS.items():
        if name not in item or (item[name] is None and name not in _REQUIRED):
            continue
        try:
            msgspec.convert(item[name], kind)
        except UnicodeEncodeError:
            errors.append({"field": name, "reason": "contains a lone UTF-16 surrogate (not Unicode text)"})
        except (msgspec.ValidationError, OverflowError, RecursionError) as exc:
            reason = str(exc).split(" - at ")[0]
            errors.append({"field": name, "reason": reason[:200]})
    return errors or [{"field": "(event)", "reason": "invalid event"}]


_TEXT_FIELDS = tuple(name for name, kind in _FIELDS.items() if "str" in str(kind))


def _text_errors(event: Event) -> list[dict]:
    """Strings PostgreSQL cannot store (NUL) or that are not Unicode text (lone surrogates from \\ud800 escapes):
    accepting them would mean a 202 for events no worker can ever write."""
    errors = []
    for name in _TEXT_FIELDS:
        value = getattr(event, name)
        if value and ("\x00" in value or not _encodable(value)):
            errors.append({"field": name, "reason": "contains a NUL character or a lone UTF-16 surrogate"})
    return errors


def _encodable(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _canonical_ips(event: Event) -> list[dict]:
    """Put local_ip and remote_ip in their one spelling (pipeline.inet), the one stored and rolled up; an error for
    each that PostgreSQL's inet would refuse. ("" stays: it means unknown.)"""
    errors = []
    for name in ("local_ip", "remote_ip"):
        value = getattr(event, name)
        if value:
            spelled = inet.canonical(value)
            if spelled is None:
                errors.append({"field": name, "reason": "not an IPv4 or IPv6 address"})
            else:
                setattr(event, name, spelled)
    return errors


def _semantic_errors(event: Event, oldest_ms: int, now_ms: int) -> list[dict]:
    """Checks msgspec's types cannot express: time window, IP syntax, finite numbers, identifier grammars."""
    errors = grammar.errors(event)
    ts = derive.epoch_ms(event.timestamp)
    if ts > now_ms + FUTURE_SLACK_MS:
        errors.append({"field": "timestamp", "reason": "more than 5 minutes in the future"})
    elif ts < oldest_ms:
        errors.append({"field": "timestamp", "reason": "older than the raw-event retention"})
    errors += _canonical_ips(event)
    score = event.spam_score
    if score is not None and not (math.isfinite(score) and (score == 0 or REAL_MIN <= abs(score) <= REAL_MAX)):
        # stored as PostgreSQL real: anything else would make the whole batch fail in the writer
        errors.append({"field": "spam_score", "reason": "must be a finite number within ±3.4e38 (and 0 or ≥ 1.2e-38)"})
    return errors
