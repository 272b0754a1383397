-- Queue poller (workers/queue_poll.py) and the queue endpoint (api/queue.py).

-- name: latest_deferrals
-- The latest deferred event of each still-queued deferred recipient (queue id + lower-cased recipient); the
-- event cannot predate the queue entry, so `created` (less 5 min of clock skew) bounds the partitions scanned.
SELECT k.queue_id, k.recipient, d.bounce_category, d.reason_class, d.smtp_response
FROM unnest(CAST(:queue_ids AS text[]), CAST(:recipients AS text[]), CAST(:created AS timestamptz[]))
     AS k(queue_id, recipient, created)
CROSS JOIN LATERAL (
    SELECT e.bounce_category, e.reason_class, e.smtp_response
    FROM email_events e
    WHERE e.queue_id = k.queue_id
      AND e.ts >= k.created - interval '5 minutes'
      AND e.event_type = 'deferred'
      AND lower(e.to_address) = k.recipient
    ORDER BY e.ts DESC
    LIMIT 1
) d;

-- name: insert_queue_snapshot
-- One row per node x zone per poll (a re-run poll at the same instant changes nothing).
INSERT INTO queue_snapshots (ts, mta_node, zone, active, deferred)
VALUES (:ts, :mta_node, :zone, :active, :deferred)
ON CONFLICT DO NOTHING;

-- name: queue_trend
-- Queue size per poll since a time, summed over nodes and zones, for the sparkline.
SELECT ts, sum(active)::bigint AS active, sum(deferred)::bigint AS deferred,
       count(DISTINCT mta_node) AS nodes
FROM queue_snapshots
WHERE ts >= :since
GROUP BY ts
ORDER BY ts;
