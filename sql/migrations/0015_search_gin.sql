-- Exact search through one GIN index instead of 0014's three btrees (issue 14.5: the search must cost ingest less
-- than 10 %). The btrees put three random-key inserts on every event and cost the saturated pipeline ~22 %; one
-- GIN index over the hashes of the three search keys collects new entries in its pending list and merges them into
-- the tree in key order, a batch at a time, which is what made it the cheapest multi-key index to write
-- (bench/RESULTS.md compares the kinds). Every event stays indexed, so a search finds all of a message's events.
--
-- A key is hashtext() of the lower-cased address or of the Message-ID as sent: 4 bytes whatever the key's length.
-- Two keys may share a hash, so the search rechecks the real columns (sql/queries/event_log.sql). The planner keeps
-- the hash's most common elements from ANALYZE, so a busy address walks the time index newest first instead.
-- hashtext() is the hash that text hash indexes store and pg_upgrade carries over as they are, so its values do not
-- change between major versions: IMMUTABLE holds.
CREATE OR REPLACE FUNCTION mf_search_keys(to_address text, from_address text, message_id text) RETURNS integer[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $fn$
    SELECT ARRAY[hashtext(lower(to_address)), hashtext(lower(from_address)), hashtext(message_id)]
$fn$;

DROP INDEX IF EXISTS email_events_to_address, email_events_from_address, email_events_message_id;
-- The default pending list (4 MB): a 16 MB one wrote no faster in bench.drain (49.3K events/s both), and every
-- search reads the current partition's list (a full 16 MB one took ~9 ms, a 4 MB one about a quarter of that).
CREATE INDEX IF NOT EXISTS email_events_search ON email_events
    USING gin (mf_search_keys(to_address, from_address, message_id));
ANALYZE email_events;
