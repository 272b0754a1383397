-- Raw delivery events: one row per recipient x outcome x MTA node (EVENT_SCHEMA.md).
-- With the timescaledb extension available the table is a hypertable; otherwise it is natively range-partitioned
-- by day on the event time. The choice is made here, at creation, because create_hypertable() cannot convert a
-- declaratively partitioned table.

DO $mig$
DECLARE
    has_timescale boolean := EXISTS (SELECT 1 FROM pg_available_extensions WHERE name = 'timescaledb');
    columns text := $cols$
        event_id         text        NOT NULL,
        ts               timestamptz NOT NULL,
        event_type       text        NOT NULL CHECK (event_type IN
                             ('received','delivered','deferred','bounced','rejected','greylisted','dropped')),
        direction        text        NOT NULL CHECK (direction IN ('outbound','inbound')),
        mta_node         text        NOT NULL,
        queue_id         text,
        seq              text,
        message_id       text,
        zone             text,
        from_address     text,
        from_domain      text,
        to_address       text,
        to_domain        text,
        local_ip         inet,
        remote_ip        inet,
        mx_host          text,
        smtp_code        smallint,
        smtp_response    text,
        enhanced_status  text,
        bounce_category  text,
        reason_class     text,
        provider         text,
        message_size     bigint,
        delivery_time_ms bigint,
        attempt          integer,
        tls              boolean,
        spam_score       real,
        source           text,
        ingested_at      timestamptz NOT NULL DEFAULT now(),
        -- (ts, event_id) rather than (event_id, ts): the same uniqueness, but inserts land at the right edge
        -- of the index and the events list pages through it newest first (keyset on ts, event_id).
        CONSTRAINT email_events_uniq UNIQUE (ts, event_id)
    $cols$;
BEGIN
    IF to_regclass('email_events') IS NOT NULL THEN
        RETURN;
    END IF;
    IF has_timescale THEN
        CREATE EXTENSION IF NOT EXISTS timescaledb;
        EXECUTE format('CREATE TABLE email_events (%s)', columns);
        PERFORM create_hypertable('email_events', 'ts', chunk_time_interval => interval '1 day');
    ELSE
        EXECUTE format('CREATE TABLE email_events (%s) PARTITION BY RANGE (ts)', columns);
    END IF;
END
$mig$;

CREATE INDEX IF NOT EXISTS email_events_queue_id ON email_events (queue_id, ts) WHERE queue_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS email_events_to_domain ON email_events (to_domain, ts);

-- Daily partitions, created ahead by the maintenance job and on demand by the writer. An advisory lock makes
-- concurrent callers (several workers) safe; a hypertable needs none, so the function does nothing there.
CREATE OR REPLACE FUNCTION mailflow_ensure_partitions(first_day date, last_day date) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    d date;
    name text;
    created integer := 0;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_partitioned_table WHERE partrelid = 'email_events'::regclass) THEN
        RETURN 0;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtext('mailflow_ensure_partitions'));
    d := first_day;
    WHILE d <= last_day LOOP
        name := format('email_events_p%s', to_char(d, 'YYYYMMDD'));
        IF to_regclass(name) IS NULL THEN
            EXECUTE format(
                'CREATE TABLE %I PARTITION OF email_events FOR VALUES FROM (%L) TO (%L)',
                name, d::timestamp AT TIME ZONE 'UTC', (d + 1)::timestamp AT TIME ZONE 'UTC');
            created := created + 1;
        END IF;
        d := d + 1;
    END LOOP;
    RETURN created;
END
$fn$;

-- Drops whole daily partitions older than keep_days (retention without DELETE); returns how many went.
CREATE OR REPLACE FUNCTION mailflow_drop_partitions(keep_days integer) RETURNS integer
LANGUAGE plpgsql AS $fn$
DECLARE
    part record;
    cutoff date := (now() AT TIME ZONE 'UTC')::date - keep_days;
    dropped integer := 0;
BEGIN
    FOR part IN
        SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
        WHERE i.inhparent = 'email_events'::regclass AND c.relname ~ '^email_events_p[0-9]{8}$'
    LOOP
        IF to_date(substr(part.relname, 15), 'YYYYMMDD') < cutoff THEN
            EXECUTE format('DROP TABLE %I', part.relname);
            dropped := dropped + 1;
        END IF;
    END LOOP;
    RETURN dropped;
END
$fn$;

SELECT mailflow_ensure_partitions(((now() AT TIME ZONE 'UTC')::date - 31), ((now() AT TIME ZONE 'UTC')::date + 7));
