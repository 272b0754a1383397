-- Instant exact search (issue 14.5): a whole address or Message-ID finds its events over the whole retention
-- without reading the range. Three plain btrees, the cheapest kind that did it (bench/RESULTS.md has the
-- comparison): a trigram GIN index served substrings too but made inserts ~10x slower; (key, ts) btrees cost
-- ~60 % more per insert than these, because ts makes every entry unique where a key alone is deduplicated (a
-- busy sender is one posting list); a BRIN bloom index was nearly free to write but needed seconds to read.
-- Addresses match case-insensitively (lower()); a Message-ID exactly, as sent. The planner reads each index's
-- expression statistics, so a busy address walks the time index newest first and a rare one uses these.
-- Built on the partitioned parent: every existing and future partition gets them. On a loaded table the build
-- blocks writes while it runs (39 s for 10M events here, ANALYZE included; ingest keeps accepting into Redis meanwhile).
CREATE INDEX IF NOT EXISTS email_events_to_address ON email_events (lower(to_address));
CREATE INDEX IF NOT EXISTS email_events_from_address ON email_events (lower(from_address));
CREATE INDEX IF NOT EXISTS email_events_message_id ON email_events (message_id) WHERE message_id IS NOT NULL;
-- The planner's choice above needs the expressions' statistics now, not after the next autovacuum.
ANALYZE email_events;
