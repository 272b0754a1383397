-- Alerts: the measurements behind the rules (rollups first; raw events only for the sender scope until the
-- sender-domain rollup dimension exists), the rules with their state, history and notification delivery.

-- name: alert_outcomes
-- Outbound delivery outcomes since :start from the 5-minute rollups, all nodes or one (scope node).
SELECT event_type, sum(events) AS events
FROM email_stats_5m
WHERE bucket >= :start AND direction = 'outbound' AND event_type IN ('delivered', 'deferred', 'bounced')
  AND (CAST(:node AS text) IS NULL OR mta_node = :node)
GROUP BY event_type

-- name: alert_outcomes_dim
-- Outbound delivery outcomes since :start for one key of a rollup dimension (domain, provider, ip, sender).
SELECT event_type, sum(events) AS events
FROM email_dim_5m
WHERE bucket >= :start AND dim = :dim AND key = :key AND direction = 'outbound'
  AND event_type IN ('delivered', 'deferred', 'bounced')
GROUP BY event_type

-- name: alert_node_activity
-- Per node, the end of its newest 5-minute bucket with any event since :since.
SELECT mta_node, max(bucket) + interval '5 minutes' AS last_active
FROM email_stats_5m
WHERE bucket >= :since
GROUP BY mta_node

-- name: alert_rules
-- Every rule with its state, by name.
SELECT id, name, metric, scope_kind, scope_value, window_minutes, threshold, min_events, notify, muted,
       created_by, created_at, updated_at, state, value, observed, subject, ok_streak, changed_at, evaluated_at
FROM alert_rules
ORDER BY name

-- name: alert_rule_insert
INSERT INTO alert_rules (name, metric, scope_kind, scope_value, window_minutes, threshold, min_events, notify,
                         muted, created_by)
VALUES (:name, :metric, :scope_kind, :scope_value, :window_minutes, :threshold, :min_events, CAST(:notify AS jsonb),
        :muted, :created_by)
RETURNING id

-- name: alert_rule_update
-- A changed definition starts from a clean state: the old measurements were of another rule.
UPDATE alert_rules
SET name = :name, metric = :metric, scope_kind = :scope_kind, scope_value = :scope_value,
    window_minutes = :window_minutes, threshold = :threshold, min_events = :min_events,
    notify = CAST(:notify AS jsonb), muted = :muted, updated_at = now(),
    state = 'ok', value = NULL, observed = NULL, subject = NULL, ok_streak = 0, changed_at = NULL,
    evaluated_at = NULL
WHERE id = :id
RETURNING id

-- name: alert_rule_mute
UPDATE alert_rules SET muted = :muted, updated_at = now() WHERE id = :id RETURNING id

-- name: alert_rule_delete
DELETE FROM alert_rules WHERE id = :id RETURNING id

-- name: alert_rule_save_state
UPDATE alert_rules
SET state = :state, value = :value, observed = :observed, subject = :subject, ok_streak = :ok_streak,
    changed_at = CASE WHEN :changed THEN :now ELSE changed_at END, evaluated_at = :now
WHERE id = :id

-- name: alert_history_insert
INSERT INTO alert_history (rule_id, rule_name, state, value, threshold, subject, at)
VALUES (:rule_id, :rule_name, :state, :value, :threshold, :subject, :at)
RETURNING id

-- name: alert_history_recent
-- The newest transitions with how their notifications fared.
SELECT h.id, h.rule_id, h.rule_name, h.state, h.value, h.threshold, h.subject, h.at,
       count(n.id) FILTER (WHERE n.status = 'sent') AS sent,
       count(n.id) FILTER (WHERE n.status = 'failed') AS failed,
       count(n.id) FILTER (WHERE n.status IN ('pending', 'retrying')) AS pending,
       max(n.error) FILTER (WHERE n.status IN ('failed', 'retrying')) AS error
FROM alert_history h
LEFT JOIN alert_notifications n ON n.history_id = h.id
GROUP BY h.id
ORDER BY h.at DESC, h.id DESC
LIMIT :limit

-- name: alert_history_prune
DELETE FROM alert_history WHERE at < :cutoff

-- name: alert_notification_insert
INSERT INTO alert_notifications (history_id, channel, target) VALUES (:history_id, :channel, :target) RETURNING id

-- name: alert_notification_get
SELECT n.id, n.channel, n.target, n.status, n.attempts, h.rule_name, h.state, h.value, h.threshold, h.subject, h.at,
       r.metric, r.scope_kind, r.scope_value, r.window_minutes, r.min_events
FROM alert_notifications n
JOIN alert_history h ON h.id = n.history_id
LEFT JOIN alert_rules r ON r.id = h.rule_id
WHERE n.id = :id

-- name: alert_notification_status
UPDATE alert_notifications
SET status = :status, attempts = attempts + 1, error = :error, updated_at = now()
WHERE id = :id

-- name: alert_notifications_failed
-- Notifications that gave up, newest first (the Alerts page lists them).
SELECT n.id, n.channel, n.target, n.attempts, n.error, n.updated_at, h.rule_name, h.state
FROM alert_notifications n
JOIN alert_history h ON h.id = n.history_id
WHERE n.status = 'failed'
ORDER BY n.updated_at DESC
LIMIT :limit
