-- name: spam_by_bucket
-- Inbound delivered events at or above the spam threshold, per bucket (the inbound page's "Spam" area).
SELECT bucket, sum(spam) AS spam
FROM {table}
WHERE bucket >= :start AND bucket < :end AND direction = 'inbound' AND event_type = 'delivered'
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY bucket
