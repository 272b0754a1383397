-- Counts over time and totals for the flow pages: email_stats_* (direction, node, zone) or, for one domain or
-- provider, email_dim_* (direction only). {table} is the rollup of the resolution Filters chose.

-- name: counts_by_bucket
-- Events per bucket x event type (throughput chart; direction, node, zone filters).
SELECT bucket, event_type, sum(events) AS events
FROM {table}
WHERE bucket >= :start AND bucket < :end
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY bucket, event_type

-- name: counts_by_bucket_node
-- Events per bucket x node x event type (throughput chart, one line per node).
SELECT bucket, mta_node, event_type, sum(events) AS events
FROM {table}
WHERE bucket >= :start AND bucket < :end
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY bucket, mta_node, event_type

-- name: counts_by_bucket_dim
-- Events per bucket x event type for one domain or provider key (email_dim_*).
SELECT bucket, event_type, sum(events) AS events
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = :key
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
GROUP BY bucket, event_type

-- name: totals_by_type
-- Events and bytes per direction x event type over the range (summary counters).
SELECT direction, event_type, sum(events) AS events, sum(bytes) AS bytes
FROM {table}
WHERE bucket >= :start AND bucket < :end
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
GROUP BY direction, event_type

-- name: totals_by_type_dim
-- Events and bytes per direction x event type for one domain or provider key.
SELECT direction, event_type, sum(events) AS events, sum(bytes) AS bytes
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = :key
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
GROUP BY direction, event_type
