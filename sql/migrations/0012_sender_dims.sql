-- Sender reputation (issue 14.2) adds outbound rollup dims to email_dim_* (rows, no schema change): sender,
-- ip_provider, ip_reason, sender_reason, ip_listing, sender_listing (store/rollups.py). This backfills the four
-- whose keys SQL can compute exactly from the raw events still kept (RAW_RETENTION_DAYS): one scan of
-- email_events into 5-minute groups, then one set-based upsert per resolution. ip_listing and sender_listing need
-- the Python response templates (store/responses.py), whose regular expressions PostgreSQL's do not match
-- exactly, so they count from this version on. Skipped when any of the four already has rows (writers of this
-- version ran first), so it never counts an event twice. Run it (the release step) before starting the workers.
DO $mig$
DECLARE
    res   text;
    width interval;
BEGIN
    IF EXISTS (SELECT 1 FROM email_dim_5m WHERE dim IN ('sender', 'ip_provider', 'ip_reason', 'sender_reason'))
       OR EXISTS (SELECT 1 FROM email_dim_1d WHERE dim IN ('sender', 'ip_provider', 'ip_reason', 'sender_reason'))
    THEN
        RETURN;
    END IF;
    CREATE TEMP TABLE mf_sender_dims ON COMMIT DROP AS
        SELECT date_bin('5 minutes', e.ts, timestamptz '2000-01-01') AS bucket, e.event_type, d.dim, d.key,
               count(*) AS events, coalesce(sum(e.message_size), 0) AS bytes,
               coalesce(sum(e.delivery_time_ms), 0) AS dt_sum, count(e.delivery_time_ms) AS dt_n
        FROM email_events e
        CROSS JOIN LATERAL (VALUES
            ('sender', coalesce(e.from_domain, '')),
            ('ip_provider', coalesce(host(e.local_ip), '') || '|' || coalesce(e.provider, 'other')),
            ('ip_reason', coalesce(host(e.local_ip), '') || '|' || coalesce(e.reason_class, 'other')),
            ('sender_reason', coalesce(e.from_domain, '') || '|' || coalesce(e.reason_class, 'other'))
        ) AS d(dim, key)
        WHERE e.direction = 'outbound'
          AND (d.dim NOT IN ('ip_reason', 'sender_reason')
               OR e.event_type IN ('deferred', 'bounced', 'rejected', 'greylisted'))
        GROUP BY 1, 2, 3, 4;
    FOR res, width IN VALUES ('5m', interval '5 minutes'), ('1h', interval '1 hour'), ('1d', interval '1 day') LOOP
        EXECUTE format($u$
            INSERT INTO %I AS t (bucket, direction, event_type, dim, key, events, bytes, dt_sum, dt_n)
            SELECT date_bin(%L, bucket, timestamptz '2000-01-01'), 'outbound', event_type, dim, key,
                   sum(events), sum(bytes), sum(dt_sum), sum(dt_n)
            FROM mf_sender_dims GROUP BY 1, 3, 4, 5
            ON CONFLICT (bucket, dim, direction, event_type, key) DO UPDATE
            SET events = t.events + EXCLUDED.events, bytes = t.bytes + EXCLUDED.bytes,
                dt_sum = t.dt_sum + EXCLUDED.dt_sum, dt_n = t.dt_n + EXCLUDED.dt_n$u$, 'email_dim_' || res, width);
    END LOOP;
END
$mig$;
