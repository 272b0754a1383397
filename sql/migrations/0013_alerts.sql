-- Alerts (README "Alerts"): rules with their current state, the history of their transitions and the delivery
-- state of each notification a transition sent. The scheduler evaluates the rules every minute
-- (workers/alerts.py); the maintenance job prunes history older than ALERT_HISTORY_DAYS.

CREATE TABLE IF NOT EXISTS alert_rules (
    id             bigserial        PRIMARY KEY,
    name           text             NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    metric         text             NOT NULL,
    scope_kind     text             CHECK (scope_kind IN ('provider', 'domain', 'node', 'ip', 'sender')),
    scope_value    text             CHECK (length(scope_value) <= 255),
    window_minutes integer          NOT NULL CHECK (window_minutes BETWEEN 1 AND 1440),
    threshold      double precision NOT NULL,
    min_events     integer          NOT NULL DEFAULT 0 CHECK (min_events >= 0),
    notify         jsonb            NOT NULL DEFAULT '[]',   -- [{"webhook": url} | {"email": address}]
    muted          boolean          NOT NULL DEFAULT false,  -- evaluated and shown, but sends nothing
    created_by     text,
    created_at     timestamptz      NOT NULL DEFAULT now(),
    updated_at     timestamptz      NOT NULL DEFAULT now(),
    -- the state machine's memory (workers/alert_state.py)
    state          text             NOT NULL DEFAULT 'ok' CHECK (state IN ('ok', 'firing')),
    value          double precision,                          -- the last measured value (NULL: no data)
    observed       bigint,                                    -- events behind the last value (rates only)
    subject        text,                                      -- what the value is about (e.g. the worst node)
    ok_streak      integer          NOT NULL DEFAULT 0,
    changed_at     timestamptz,
    evaluated_at   timestamptz,
    CHECK ((scope_kind IS NULL) = (scope_value IS NULL))
);

CREATE TABLE IF NOT EXISTS alert_history (
    id         bigserial        PRIMARY KEY,
    rule_id    bigint           REFERENCES alert_rules (id) ON DELETE SET NULL,
    rule_name  text             NOT NULL,                   -- kept when the rule is deleted
    state      text             NOT NULL CHECK (state IN ('firing', 'resolved')),
    value      double precision,
    threshold  double precision NOT NULL,
    subject    text,
    at         timestamptz      NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_history_at ON alert_history (at DESC);
CREATE INDEX IF NOT EXISTS alert_history_rule ON alert_history (rule_id, at DESC);

-- One row per channel per transition: pending -> sent, or retrying -> failed after the last retry.
CREATE TABLE IF NOT EXISTS alert_notifications (
    id          bigserial   PRIMARY KEY,
    history_id  bigint      NOT NULL REFERENCES alert_history (id) ON DELETE CASCADE,
    channel     text        NOT NULL CHECK (channel IN ('webhook', 'email')),
    target      text        NOT NULL,
    status      text        NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'sent', 'failed')),
    attempts    integer     NOT NULL DEFAULT 0,
    error       text        CHECK (length(error) <= 500),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS alert_notifications_history ON alert_notifications (history_id);
CREATE INDEX IF NOT EXISTS alert_notifications_open ON alert_notifications (status) WHERE status <> 'sent';
