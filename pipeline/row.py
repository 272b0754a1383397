"""The stored event row: a 28-item tuple (a JSON array in the Redis buffer, a row of `events` in PostgreSQL), in
the order of COLUMNS, with a named position for each item.

Rows stay plain tuples because they cross Redis as JSON arrays at tens of thousands per second (a NamedTuple or
Struct would not survive the round trip and would cost a conversion per event); code reads them through these
names, never through bare numbers. The SQL that inserts them (sql/queries/write.sql) lists the same columns.
"""

from __future__ import annotations

COLUMNS = (
    "event_id", "ts", "event_type", "direction", "mta_node", "queue_id", "seq", "message_id", "zone",
    "from_address", "from_domain", "to_address", "to_domain", "local_ip", "remote_ip", "mx_host", "smtp_code",
    "smtp_response", "enhanced_status", "bounce_category", "reason_class", "provider", "message_size",
    "delivery_time_ms", "attempt", "tls", "spam_score", "source",
)
(EVENT_ID, TS, EVENT_TYPE, DIRECTION, MTA_NODE, QUEUE_ID, SEQ, MESSAGE_ID, ZONE,
 FROM_ADDRESS, FROM_DOMAIN, TO_ADDRESS, TO_DOMAIN, LOCAL_IP, REMOTE_IP, MX_HOST, SMTP_CODE,
 SMTP_RESPONSE, ENHANCED_STATUS, BOUNCE_CATEGORY, REASON_CLASS, PROVIDER, MESSAGE_SIZE,
 DELIVERY_TIME_MS, ATTEMPT, TLS, SPAM_SCORE, SOURCE) = range(len(COLUMNS))


def as_dict(values) -> dict:
    """A row as {column: value} (tests and debugging)."""
    return dict(zip(COLUMNS, values, strict=True))
