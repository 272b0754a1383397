-- TimescaleDB extras: compression of day-old chunks. A no-op on plain PostgreSQL (the extension is absent) and
-- on a plain table. Retention is applied by the maintenance job in both cases, so it follows RAW_RETENTION_DAYS.

DO $mig$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'timescaledb') THEN
        RETURN;
    END IF;
    EXECUTE 'ALTER TABLE email_events SET (timescaledb.compress, timescaledb.compress_orderby = ''ts DESC'','
         || ' timescaledb.compress_segmentby = ''direction, event_type'')';
    EXECUTE 'SELECT add_compression_policy(''email_events'', interval ''2 days'', if_not_exists => true)';
END
$mig$;
