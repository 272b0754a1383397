"""Pipeline counters shared by every web and worker process, kept in Redis so /metrics can sum them over all
processes: ingest outcomes by reason, buffered events per class, and the writers' histograms (store.stats).

Ingest (inside its gate script) and the writers (inside their pipelines) add to them, so counting costs no round trip.
A top-level module because both ingest (which may not import store) and the store need the key names.
"""

from __future__ import annotations

from collections import Counter

PREFIX = "mailflow:{buf}"  # the buffer's hash tag: one cluster slot for the protocol and its counters
COUNTERS = f"{PREFIX}:counters"  # accepted, written, rejected:<reason>
BUFFERED = f"{PREFIX}:buffered"  # events per class pushed and not yet acked (claimed batches included)
REJECTED_TTL = 7200  # per-minute rejection hashes feed "rejected over the last hour"
# Per-field reasons normalised to a small, stable label set (the raw texts come from msgspec and vary).
REASONS = ("missing_field", "unknown_event_type", "invalid_value", "timestamp_future", "timestamp_too_old",
           "invalid_ip", "not_an_object", "other")
_PHRASES = {"required field is missing": "missing_field", "more than 5 minutes in the future": "timestamp_future",
            "older than the raw-event retention": "timestamp_too_old", "not an IPv4 or IPv6 address": "invalid_ip",
            "each event must be a JSON object": "not_an_object"}


def rejected_key(minute: int) -> str:
    """The hash of rejections by reason during one epoch minute."""
    return f"{PREFIX}:rejected:{minute}"


def reason_code(error: dict) -> str:
    """One of REASONS for a {field, reason} error."""
    reason = str(error.get("reason", ""))
    if reason in _PHRASES:
        return _PHRASES[reason]
    if error.get("field") == "event_type":
        return "unknown_event_type"
    if reason.startswith(("Expected", "Invalid", "must", "Object", "Integer", "String")):
        return "invalid_value"
    return "other"


def rejections(rejected: list[dict]) -> Counter:
    """Rejected events by reason: each event counts once, under its first error."""
    return Counter(reason_code(item["errors"][0]) for item in rejected if item.get("errors"))
