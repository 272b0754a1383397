-- Message sizes, counted once per accepted message recipient (received events), from email_stats_*.

-- name: sizes_by_bucket
-- Per bucket: sized received events, their bytes, and the summed size brackets (6 bins).
SELECT bucket, sum(sized) AS sized, sum(bytes) AS bytes, mf_hist_sum(size_hist) AS size_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND event_type = 'received'
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY bucket
