-- An event_id is stored once whatever its timestamp (EVENT_SCHEMA.md: "the same id twice is stored and counted
-- once"). email_events is partitioned by time, so its own unique key must include ts and cannot see the same id
-- resent with another timestamp; this unpartitioned table can. The writer inserts a batch's ids here first
-- (ON CONFLICT DO NOTHING) and stores, and counts in the rollups, only the events whose id was new. The
-- maintenance job prunes ids older than the raw retention (no event that old is accepted any more). No index on
-- ts: the daily prune is one sequential scan, cheaper than a second index on every insert.
CREATE TABLE IF NOT EXISTS event_ids (
    event_id text COLLATE "C" NOT NULL PRIMARY KEY,
    ts       timestamptz NOT NULL
);

INSERT INTO event_ids (event_id, ts)
SELECT DISTINCT ON (event_id) event_id, ts FROM email_events ORDER BY event_id, ts
ON CONFLICT (event_id) DO NOTHING;

-- Adds a sparse delta (1-based bins, counts) to a dense delivery-time histogram, touching only the bins that
-- changed: the rollup upserts call it for every updated row, where the dense mf_hist_add would walk all 280 bins.
CREATE OR REPLACE FUNCTION mf_hist_merge(hist integer[], bins integer[], counts integer[]) RETURNS integer[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $fn$
DECLARE
    k integer;
    merged integer[];
BEGIN
    IF bins IS NULL THEN
        RETURN hist;
    END IF;
    merged := coalesce(hist, array_fill(0, ARRAY[280]));
    FOR k IN 1 .. array_length(bins, 1) LOOP
        merged[bins[k]] := merged[bins[k]] + counts[k];
    END LOOP;
    RETURN merged;
END
$fn$;

-- Rollup rows are updated in place by every batch that touches their bucket; free space on each page lets
-- PostgreSQL keep the new version on the same page (a HOT update) without touching the primary-key index.
DO $mig$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['email_stats_5m', 'email_stats_1h', 'email_stats_1d',
                             'email_dim_5m', 'email_dim_1h', 'email_dim_1d'] LOOP
        EXECUTE format('ALTER TABLE %I SET (fillfactor = 70)', t);
    END LOOP;
END
$mig$;
