-- Instant exact search (issue 14.5): a whole address or Message-ID finds its events over the whole retention
-- without scanning the range. Three btree indexes, not a trigram one: a trigram GIN index served substrings too but
-- cost the ingest path ~10x on inserts (bench/RESULTS.md); these cost a few per cent (measured there). Addresses are
-- matched case-insensitively (lower()); a Message-ID exactly, as it was sent. ts second lets a busy address be read
-- newest first. Built on the partitioned parent, so every existing and future partition gets them; on a loaded
-- table the build blocks writes while it runs (measured in bench/RESULTS.md).
CREATE INDEX IF NOT EXISTS email_events_to_address_lower ON email_events (lower(to_address), ts);
CREATE INDEX IF NOT EXISTS email_events_from_address_lower ON email_events (lower(from_address), ts);
CREATE INDEX IF NOT EXISTS email_events_message_id ON email_events (message_id, ts) WHERE message_id IS NOT NULL;
