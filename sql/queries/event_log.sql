-- Raw events, the only reads of email_events: a keyset-paginated list (newest first, on the unique (ts, event_id)
-- index) and one message's timeline. Both are bounded: by the time range and LIMIT, or by queue id.

-- name: custom_plans
-- Plan each optional-filter statement of this transaction for its actual values (index choice per filter).
SET LOCAL plan_cache_mode = force_custom_plan

-- name: raw_statement_timeout
-- Caps a raw-event statement of this transaction, so a search cannot hold a connection for long.
SET LOCAL statement_timeout = '10s'

-- name: scan_for_search
-- A substring search over more than a day: a parallel scan reads 7 days of 10M events in 2-3 s whatever the term,
-- where walking the (ts, event_id) index backwards took 4-10 s when matches are rare.
SET LOCAL enable_indexscan = off

-- name: event_page
-- One page of events in [start, cursor) newest first; cursor starts at (end, '') which means ts before end.
SELECT event_id, ts, event_type, direction, mta_node, queue_id, seq, message_id, zone, from_address, from_domain,
       to_address, to_domain, host(local_ip) AS local_ip, host(remote_ip) AS remote_ip, mx_host, smtp_code,
       smtp_response, enhanced_status, bounce_category, reason_class, provider, message_size, delivery_time_ms,
       attempt, tls, spam_score
FROM email_events
WHERE ts >= :start AND ts < :end AND (ts, event_id) < (CAST(:cursor_ts AS timestamptz), CAST(:cursor_id AS text))
  AND (CAST(:event_type AS text) IS NULL OR event_type = :event_type)
  AND (CAST(:direction AS text) IS NULL OR direction = :direction)
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
  AND (CAST(:zone AS text) IS NULL OR zone = :zone)
  AND (CAST(:provider AS text) IS NULL OR provider = :provider)
  AND (CAST(:domain AS text) IS NULL
       OR (direction = 'outbound' AND to_domain = :domain) OR (direction = 'inbound' AND from_domain = :domain))
  AND (CAST(:queue_id AS text) IS NULL OR queue_id = :queue_id)
  AND (CAST(:ip AS inet) IS NULL OR local_ip = CAST(:ip AS inet))
  AND (CAST(:sender AS text) IS NULL OR from_domain = :sender)
  AND (CAST(:pattern AS text) IS NULL
       OR to_address ILIKE :pattern OR from_address ILIKE :pattern OR message_id ILIKE :pattern)
  -- exact search: the hashes on the search index (0015) find the few matching rows of each partition at once, the
  -- columns then rule out a shared hash (custom plans fold this away when :address is NULL; a busy address walks
  -- the time index instead, by the index's statistics)
  AND (CAST(:address AS text) IS NULL
       OR (mf_search_keys(to_address, from_address, message_id)
               && ARRAY[hashtext(:address), hashtext(:bare_id), hashtext(:bracketed_id)]
           AND (lower(to_address) = :address OR lower(from_address) = :address
                OR message_id IN (:bare_id, :bracketed_id))))
ORDER BY ts DESC, event_id DESC
LIMIT :limit

-- name: message_events
-- Every event of one queue id (one message, all recipients) in time order: the message timeline.
SELECT event_id, ts, event_type, direction, mta_node, queue_id, seq, message_id, zone, from_address, from_domain,
       to_address, to_domain, host(local_ip) AS local_ip, host(remote_ip) AS remote_ip, mx_host, smtp_code,
       smtp_response, enhanced_status, bounce_category, reason_class, provider, message_size, delivery_time_ms,
       attempt, tls, spam_score
FROM email_events
WHERE queue_id = :queue_id
ORDER BY ts, event_id
LIMIT :limit
