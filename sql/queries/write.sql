-- name: create_stage
-- Per-session staging table the writer COPYs a batch into; emptied at every commit.
CREATE TEMP TABLE IF NOT EXISTS mf_stage (
    event_id text, ts_ms bigint, event_type text, direction text, mta_node text, queue_id text, seq text,
    message_id text, zone text, from_address text, from_domain text, to_address text, to_domain text,
    local_ip text, remote_ip text, mx_host text, smtp_code smallint, smtp_response text, enhanced_status text,
    bounce_category text, reason_class text, provider text, message_size bigint, delivery_time_ms bigint,
    attempt integer, tls boolean, spam_score real, source text
) ON COMMIT DELETE ROWS

-- name: insert_from_stage
-- Moves the staged batch into email_events; returns exactly the rows that were new. An event is new when its id
-- is new to event_ids (whatever its timestamp: a resend with another ts is a duplicate too); ON CONFLICT on
-- email_events still skips an identical row repeated inside one batch.
WITH fresh AS (
    INSERT INTO event_ids (event_id, ts)
    SELECT event_id, timestamptz 'epoch' + ts_ms * interval '1 millisecond' FROM mf_stage
    ON CONFLICT (event_id) DO NOTHING
    RETURNING event_id, ts
)
INSERT INTO email_events (
    event_id, ts, event_type, direction, mta_node, queue_id, seq, message_id, zone, from_address, from_domain,
    to_address, to_domain, local_ip, remote_ip, mx_host, smtp_code, smtp_response, enhanced_status,
    bounce_category, reason_class, provider, message_size, delivery_time_ms, attempt, tls, spam_score, source)
SELECT s.event_id, f.ts, event_type, direction, mta_node,
       queue_id, seq, message_id, zone, from_address, from_domain, to_address, to_domain,
       CAST(local_ip AS inet), CAST(remote_ip AS inet), mx_host, smtp_code, smtp_response, enhanced_status,
       bounce_category, reason_class, provider, message_size, delivery_time_ms, attempt, tls, spam_score, source
FROM mf_stage s
JOIN fresh f ON f.event_id = s.event_id AND f.ts = timestamptz 'epoch' + s.ts_ms * interval '1 millisecond'
ON CONFLICT (ts, event_id) DO NOTHING
RETURNING event_id, CAST(extract(epoch FROM ts) * 1000 AS bigint) AS ts_ms

-- name: ensure_partitions
-- Creates any missing daily partitions between two dates (inclusive); returns how many were created.
SELECT mailflow_ensure_partitions(CAST(:first AS date), CAST(:last AS date))

-- name: drop_partitions
-- Drops daily partitions older than the raw retention; returns how many were dropped.
SELECT mailflow_drop_partitions(:keep_days)

-- name: upsert_stats
-- Adds a batch's per-bucket deltas to one email_stats_* table (rows pre-aggregated and sorted by key). Existing rows
-- are updated first, merging the sparse delivery-time delta bin by bin; the rest are inserted. A row another
-- writer inserted meanwhile (after this statement's snapshot) lands in ON CONFLICT, which merges densely.
WITH d AS (
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        bucket timestamptz, direction text, event_type text, mta_node text, zone text, events bigint, bytes bigint,
        sized bigint, dt_sum bigint, dt_n bigint, tls bigint, spam bigint, size_hist integer[], dt_bins integer[],
        dt_counts integer[])
), updated AS (
    UPDATE {table} AS t SET
        events = t.events + d.events, bytes = t.bytes + d.bytes, sized = t.sized + d.sized,
        dt_sum = t.dt_sum + d.dt_sum, dt_n = t.dt_n + d.dt_n, tls = t.tls + d.tls, spam = t.spam + d.spam,
        size_hist = mf_hist_add(t.size_hist, d.size_hist), dt_hist = mf_hist_merge(t.dt_hist, d.dt_bins, d.dt_counts)
    FROM d
    WHERE t.bucket = d.bucket AND t.direction = d.direction AND t.event_type = d.event_type
      AND t.mta_node = d.mta_node AND t.zone = d.zone
    RETURNING t.bucket, t.direction, t.event_type, t.mta_node, t.zone
)
INSERT INTO {table} AS t (bucket, direction, event_type, mta_node, zone, events, bytes, sized, dt_sum, dt_n,
                          tls, spam, size_hist, dt_hist)
SELECT d.bucket, d.direction, d.event_type, d.mta_node, d.zone, d.events, d.bytes, d.sized, d.dt_sum, d.dt_n,
       d.tls, d.spam, d.size_hist, mf_hist_merge(NULL, d.dt_bins, d.dt_counts)
FROM d LEFT JOIN updated u USING (bucket, direction, event_type, mta_node, zone)
WHERE u.bucket IS NULL
ON CONFLICT (bucket, direction, event_type, mta_node, zone) DO UPDATE SET
    events = t.events + EXCLUDED.events, bytes = t.bytes + EXCLUDED.bytes, sized = t.sized + EXCLUDED.sized,
    dt_sum = t.dt_sum + EXCLUDED.dt_sum, dt_n = t.dt_n + EXCLUDED.dt_n, tls = t.tls + EXCLUDED.tls,
    spam = t.spam + EXCLUDED.spam, size_hist = mf_hist_add(t.size_hist, EXCLUDED.size_hist),
    dt_hist = mf_hist_add(t.dt_hist, EXCLUDED.dt_hist)

-- name: upsert_dims
-- Adds a batch's per-bucket deltas to one email_dim_* table; the same update-then-insert shape as upsert_stats.
WITH d AS (
    SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS r(
        bucket timestamptz, direction text, event_type text, dim text, key text, events bigint, bytes bigint,
        dt_sum bigint, dt_n bigint, dt_bins integer[], dt_counts integer[])
), updated AS (
    UPDATE {table} AS t SET
        events = t.events + d.events, bytes = t.bytes + d.bytes, dt_sum = t.dt_sum + d.dt_sum,
        dt_n = t.dt_n + d.dt_n, dt_hist = mf_hist_merge(t.dt_hist, d.dt_bins, d.dt_counts)
    FROM d
    WHERE t.bucket = d.bucket AND t.dim = d.dim AND t.direction = d.direction AND t.event_type = d.event_type
      AND t.key = d.key
    RETURNING t.bucket, t.dim, t.direction, t.event_type, t.key
)
INSERT INTO {table} AS t (bucket, direction, event_type, dim, key, events, bytes, dt_sum, dt_n, dt_hist)
SELECT d.bucket, d.direction, d.event_type, d.dim, d.key, d.events, d.bytes, d.dt_sum, d.dt_n,
       mf_hist_merge(NULL, d.dt_bins, d.dt_counts)
FROM d LEFT JOIN updated u USING (bucket, dim, direction, event_type, key)
WHERE u.bucket IS NULL
ON CONFLICT (bucket, dim, direction, event_type, key) DO UPDATE SET
    events = t.events + EXCLUDED.events, bytes = t.bytes + EXCLUDED.bytes, dt_sum = t.dt_sum + EXCLUDED.dt_sum,
    dt_n = t.dt_n + EXCLUDED.dt_n, dt_hist = mf_hist_add(t.dt_hist, EXCLUDED.dt_hist)

-- name: delete_stats_before
-- Retention of one email_stats_* table: deletes buckets older than the cutoff.
DELETE FROM {table} WHERE bucket < :cutoff

-- name: delete_snapshots_before
-- Retention of queue snapshots.
DELETE FROM queue_snapshots WHERE ts < :cutoff

-- name: delete_event_ids_before
-- Retention of the idempotency ids: ids of events older than the raw retention can no longer arrive.
DELETE FROM event_ids WHERE ts < :cutoff
