-- "By X" tables: counts per group and event type, bytes, and the delivered events' delivery-time sums. Histograms
-- are fetched separately, for the groups shown only, in array_send's binary form: the caller sums them with numpy,
-- about 3x faster than mf_hist_sum (which rebuilds a 280-element array per row).

-- name: breakdown_stats
-- Per node or zone (by) from email_stats_*: counts per type, bytes, delivered delivery-time sum and count.
SELECT CASE WHEN CAST(:by AS text) = 'node' THEN mta_node ELSE zone END AS key, event_type,
       sum(events) AS events, sum(bytes) AS bytes, sum(dt_sum) AS dt_sum, sum(dt_n) AS dt_n
FROM {table}
WHERE bucket >= :start AND bucket < :end
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY 1, event_type

-- name: breakdown_dim
-- Per key of one dimension (domain, provider, ip, category, reason, response) from email_dim_*.
SELECT key, event_type, sum(events) AS events, sum(bytes) AS bytes, sum(dt_sum) AS dt_sum, sum(dt_n) AS dt_n
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:key AS text) IS NULL OR key = :key)
GROUP BY key, event_type

-- name: delivered_hist_stats
-- Delivery-time histograms (array_send, summed by the caller) of delivered events per node or zone, or overall.
SELECT CASE CAST(:by AS text) WHEN 'node' THEN mta_node WHEN 'zone' THEN zone ELSE '' END AS key,
       array_send(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND event_type = 'delivered' AND dt_hist IS NOT NULL
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)

-- name: delivered_hist_dim
-- Delivery-time histograms (array_send, summed by the caller) of delivered events of the listed keys.
SELECT key, array_send(dt_hist) AS dt_hist
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = ANY(:keys)
  AND event_type = 'delivered' AND dt_hist IS NOT NULL
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)

-- name: breakdown_dims
-- Per dimension x key x event type for several dimensions in one scan (bounce analysis).
SELECT dim, key, event_type, sum(events) AS events, sum(bytes) AS bytes, sum(dt_sum) AS dt_sum, sum(dt_n) AS dt_n
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = ANY(:dims)
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
GROUP BY dim, key, event_type
