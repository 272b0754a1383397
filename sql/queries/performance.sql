-- Delivery time of delivered events per bucket (trend, and summed for the whole range): sums for the average and
-- the 280-bin histograms, one per rollup row in array_send's binary form, summed per bucket by the caller (numpy).

-- name: delivery_by_bucket
-- Delivered rows from email_stats_* (direction, node, zone filters): bucket, count, time sum, histogram.
SELECT bucket, dt_n, dt_sum, array_send(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND event_type = 'delivered'
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)

-- name: delivery_by_bucket_dim
-- Delivered rows of one domain or provider key from email_dim_*: bucket, count, time sum, histogram.
SELECT bucket, dt_n, dt_sum, array_send(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = :key AND event_type = 'delivered'
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
