-- Query API (issue 5). The events list filters by peer domain: outbound rows by to_domain (email_events_to_domain,
-- 0001) and inbound rows by from_domain, which had no index, so a rare sender domain scanned the whole range
-- (7 days of 10M events: 2.9 s; 30 days: past the 10 s statement timeout). Partial (inbound rows only) to keep
-- the write cost small. On an existing table the build blocks writes while it runs (7.5 s for 10M rows on
-- 2 cores); the table is partitioned, so CONCURRENTLY is not available on the parent.
CREATE INDEX IF NOT EXISTS email_events_inbound_from_domain ON email_events (from_domain, ts)
    WHERE direction = 'inbound';
