-- Delivery time of delivered events per bucket (trend, and summed for the whole range): sums for the average and
-- the summed 280-bin histogram for percentiles and brackets.

-- name: delivery_by_bucket
-- Per bucket from email_stats_* (direction, node, zone filters): delivered count, time sum, summed histogram.
SELECT bucket, sum(dt_n) AS dt_n, sum(dt_sum) AS dt_sum, mf_hist_sum(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND event_type = 'delivered'
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY bucket

-- name: delivery_by_bucket_dim
-- Per bucket for one domain or provider key from email_dim_*: delivered count, time sum, summed histogram.
SELECT bucket, sum(dt_n) AS dt_n, sum(dt_sum) AS dt_sum, mf_hist_sum(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = :key AND event_type = 'delivered'
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
GROUP BY bucket
