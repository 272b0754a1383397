"""An independent recomputation of every rollup from the raw rows, in SQL, for exactness assertions."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import text

from store.reply_templates import listing, template

WIDTH = {"5m": "5 minutes", "1h": "1 hour", "1d": "1 day"}
BIN = "CASE WHEN delivery_time_ms < 1 THEN 0 ELSE LEAST(279, 1 + floor(ln(delivery_time_ms) / ln(1.08))::int) END"


def stats_mismatches(conn) -> list:
    """Rows where email_stats_* differs from a GROUP BY over email_events (empty when exact)."""
    bad = []
    for res, width in WIDTH.items():
        sql = f"""
        WITH raw AS (
            SELECT date_bin('{width}', ts, timestamptz '2000-01-01') AS bucket, direction, event_type, mta_node,
                   coalesce(zone, '') AS zone, count(*) AS events, coalesce(sum(message_size), 0) AS bytes,
                   count(message_size) AS sized, coalesce(sum(delivery_time_ms), 0) AS dt_sum,
                   count(delivery_time_ms) AS dt_n, count(*) FILTER (WHERE tls) AS tls
            FROM email_events GROUP BY 1, 2, 3, 4, 5),
        roll AS (SELECT bucket, direction, event_type, mta_node, zone, events, bytes, sized, dt_sum, dt_n, tls
                 FROM email_stats_{res})
        (SELECT 'missing' AS side, * FROM raw EXCEPT SELECT 'missing', * FROM roll)
        UNION ALL (SELECT 'extra', * FROM roll EXCEPT SELECT 'extra', * FROM raw)"""
        bad += [(res, *row) for row in conn.execute(text(sql)).all()]
    return bad


def histogram_mismatches(conn) -> list:
    """(bucket, key, bin) cells of the 1 h delivery-time histograms that differ from the raw rows."""
    sql = f"""
    WITH raw AS (
        SELECT date_bin('1 hour', ts, timestamptz '2000-01-01') AS bucket, direction, event_type, mta_node,
               coalesce(zone, '') AS zone, {BIN} AS bin, count(*) AS n
        FROM email_events WHERE delivery_time_ms IS NOT NULL GROUP BY 1, 2, 3, 4, 5, 6),
    roll AS (
        SELECT bucket, direction, event_type, mta_node, zone, b.i - 1 AS bin, b.n
        FROM email_stats_1h, unnest(dt_hist) WITH ORDINALITY AS b(n, i) WHERE b.n > 0)
    (SELECT * FROM raw EXCEPT SELECT * FROM roll) UNION ALL (SELECT * FROM roll EXCEPT SELECT * FROM raw)"""
    return conn.execute(text(sql)).all()


def dim_mismatches(conn) -> list:
    """Per-domain 1 h counts that differ from the raw rows."""
    sql = """
    WITH raw AS (
        SELECT date_bin('1 hour', ts, timestamptz '2000-01-01') AS bucket, direction, event_type,
               coalesce(CASE WHEN direction = 'outbound' THEN to_domain ELSE from_domain END, '') AS key,
               count(*) AS events
        FROM email_events GROUP BY 1, 2, 3, 4),
    roll AS (SELECT bucket, direction, event_type, key, events FROM email_dim_1h WHERE dim = 'domain')
    (SELECT * FROM raw EXCEPT SELECT * FROM roll) UNION ALL (SELECT * FROM roll EXCEPT SELECT * FROM raw)"""
    return conn.execute(text(sql)).all()


# The sender-reputation dims (outbound only): their keys recomputed in SQL from the raw columns.
SENDER_KEYS = {
    "sender": "coalesce(from_domain, '')",
    "ip_provider": "coalesce(host(local_ip), '') || '|' || coalesce(provider, 'other')",
    "ip_reason": "coalesce(host(local_ip), '') || '|' || coalesce(reason_class, 'other')",
    "sender_reason": "coalesce(from_domain, '') || '|' || coalesce(reason_class, 'other')",
}
FAILED = "event_type IN ('deferred', 'bounced', 'rejected', 'greylisted')"


def sender_dim_mismatches(conn) -> list:
    """Rows of the sender, ip_provider, ip_reason and sender_reason dims (every resolution) that differ from the
    raw rows."""
    bad = []
    for res, width in WIDTH.items():
        for dim, key in SENDER_KEYS.items():
            where = "direction = 'outbound'" + (f" AND {FAILED}" if dim.endswith("_reason") else "")
            sql = f"""
            WITH raw AS (
                SELECT date_bin('{width}', ts, timestamptz '2000-01-01') AS bucket, event_type, {key} AS key,
                       count(*) AS events
                FROM email_events WHERE {where} GROUP BY 1, 2, 3),
            roll AS (SELECT bucket, event_type, key, events FROM email_dim_{res}
                     WHERE dim = :dim AND direction = 'outbound')
            (SELECT 'missing' AS side, * FROM raw EXCEPT SELECT 'missing', * FROM roll)
            UNION ALL (SELECT 'extra', * FROM roll EXCEPT SELECT 'extra', * FROM raw)"""
            bad += [(res, dim, *row) for row in conn.execute(text(sql), {"dim": dim}).all()]
    return bad


def listing_mismatches(conn) -> list:
    """(dim, event type, key) counts of the 1 d ip_listing and sender_listing dims that differ from the raw failures
    whose reply names a listing (templates applied in Python: PostgreSQL regexes differ from Python's)."""
    raw: Counter = Counter()
    failures = conn.execute(text(f"""
        SELECT event_type, coalesce(host(local_ip), '') AS ip, coalesce(from_domain, '') AS sender, smtp_response,
               coalesce(reason_class, 'other') AS reason
        FROM email_events WHERE direction = 'outbound' AND {FAILED}""")).all()
    for event_type, ip, sender, response, reason in failures:
        if listing(response, reason):
            raw[("ip_listing", event_type, f"{ip}|{template(response)}")] += 1
            raw[("sender_listing", event_type, f"{sender}|{template(response)}")] += 1
    roll = Counter({(dim, t, key): int(n) for dim, t, key, n in conn.execute(text(
        "SELECT dim, event_type, key, sum(events) FROM email_dim_1d WHERE dim IN ('ip_listing', 'sender_listing')"
        " GROUP BY 1, 2, 3")).all()})
    return sorted(set(raw.items()) ^ set(roll.items()))


def assert_exact(engine) -> None:
    """Fail with the differing rows unless every checked rollup equals its recomputation."""
    with engine.connect() as conn:
        assert stats_mismatches(conn) == []
        assert histogram_mismatches(conn) == []
        assert dim_mismatches(conn) == []
        assert sender_dim_mismatches(conn) == []
        assert listing_mismatches(conn) == []
