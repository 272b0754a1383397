-- Sender reputation (the /senders page): per sending IP or sender domain over time, from the outbound dims
-- (sender, ip, ip_provider, ip_reason, sender_reason, ip_listing, sender_listing) of email_dim_*.

-- name: reputation_trend
-- Events per bucket x key x event type of one dimension (ip or sender) for the listed keys, outbound only.
SELECT bucket, key, event_type, sum(events) AS events
FROM {table}
WHERE bucket >= :start AND bucket < :end AND dim = :dim AND key = ANY(:keys) AND direction = 'outbound'
GROUP BY bucket, key, event_type
