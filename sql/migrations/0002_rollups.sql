-- Rollups maintained by the writer in the same transaction as the raw insert (DESIGN.md 2.4), from exactly the
-- rows that were new, so duplicates and retries never change a count. Three resolutions with identical shapes.
--
-- Histograms are int arrays merged element-wise:
--   dt_hist   delivery time, 280 log-spaced bins: bin 0 = [0, 1) ms, bin i = [1.08^(i-1), 1.08^i) ms, the last
--             bin open-ended. Reporting a bin's geometric middle is within 3.9 % of any value in it.
--   size_hist message size brackets <10KB, 10-100KB, 100KB-1MB, 1-10MB, 10-25MB, >25MB.

CREATE OR REPLACE FUNCTION mf_hist_add(a integer[], b integer[]) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN a IS NULL THEN b
        WHEN b IS NULL THEN a
        ELSE ARRAY(SELECT coalesce(x, 0) + coalesce(y, 0)
                   FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i) ORDER BY i)
    END
$fn$;

CREATE OR REPLACE AGGREGATE mf_hist_sum(integer[]) (SFUNC = mf_hist_add, STYPE = integer[]);

DO $mig$
DECLARE
    res text;
BEGIN
    FOREACH res IN ARRAY ARRAY['5m', '1h', '1d'] LOOP
        -- Counts per bucket x direction x event type x node x zone: throughput, per-node lines, averages.
        EXECUTE format($t$
            CREATE TABLE IF NOT EXISTS %I (
                bucket     timestamptz NOT NULL,
                direction  text        NOT NULL,
                event_type text        NOT NULL,
                mta_node   text        NOT NULL,
                zone       text        NOT NULL DEFAULT '',
                events     bigint      NOT NULL DEFAULT 0,
                bytes      bigint      NOT NULL DEFAULT 0,
                sized      bigint      NOT NULL DEFAULT 0,
                dt_sum     bigint      NOT NULL DEFAULT 0,
                dt_n       bigint      NOT NULL DEFAULT 0,
                tls        bigint      NOT NULL DEFAULT 0,
                spam       bigint      NOT NULL DEFAULT 0,
                size_hist  integer[],
                dt_hist    integer[],
                PRIMARY KEY (bucket, direction, event_type, mta_node, zone)
            )$t$, 'email_stats_' || res);
        -- Counts per bucket x direction x event type x one breakdown dimension (domain, provider, ip, category,
        -- reason, response): the "by X" tables, bounce analysis and per-domain delivery times.
        EXECUTE format($t$
            CREATE TABLE IF NOT EXISTS %I (
                bucket     timestamptz NOT NULL,
                direction  text        NOT NULL,
                event_type text        NOT NULL,
                dim        text        NOT NULL,
                key        text        NOT NULL,
                events     bigint      NOT NULL DEFAULT 0,
                bytes      bigint      NOT NULL DEFAULT 0,
                dt_sum     bigint      NOT NULL DEFAULT 0,
                dt_n       bigint      NOT NULL DEFAULT 0,
                dt_hist    integer[],
                PRIMARY KEY (bucket, dim, direction, event_type, key)
            )$t$, 'email_dim_' || res);
    END LOOP;
END
$mig$;

-- One row per node x zone per queue poll, for the queue trend sparkline.
CREATE TABLE IF NOT EXISTS queue_snapshots (
    ts        timestamptz NOT NULL,
    mta_node  text        NOT NULL,
    zone      text        NOT NULL,
    active    integer     NOT NULL,
    deferred  integer     NOT NULL,
    PRIMARY KEY (ts, mta_node, zone)
);
