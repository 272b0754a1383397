"""An independent recomputation of every rollup from the raw rows, in SQL, for exactness assertions."""

from __future__ import annotations

from sqlalchemy import text

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


def assert_exact(engine) -> None:
    """Fail with the differing rows unless every checked rollup equals its recomputation."""
    with engine.connect() as conn:
        assert stats_mismatches(conn) == []
        assert histogram_mismatches(conn) == []
        assert dim_mismatches(conn) == []
