-- Server-side login and wall-screen sessions (README "Security"). The signed cookie carries only a random 128-bit
-- session id; this table holds its SHA-256, so logout, disabling a user, a password or role change and revoking a
-- kiosk link end a session for real (a copied cookie stops working), and admins can list and end sessions.

CREATE TABLE IF NOT EXISTS user_sessions (
    id            bigserial   PRIMARY KEY,          -- shown to admins to end one session; not a secret
    token_hash    text        NOT NULL UNIQUE,      -- SHA-256 hex of the cookie's session id
    user_id       bigint      REFERENCES users (id) ON DELETE CASCADE,
    kiosk_id      bigint      REFERENCES kiosk_tokens (id) ON DELETE CASCADE,
    ip            text,
    user_agent    text        CHECK (length(user_agent) <= 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    last_seen_at  timestamptz NOT NULL DEFAULT now(),
    expires_at    timestamptz NOT NULL,
    CHECK ((user_id IS NULL) <> (kiosk_id IS NULL))
);

CREATE INDEX IF NOT EXISTS user_sessions_user ON user_sessions (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS user_sessions_kiosk ON user_sessions (kiosk_id) WHERE kiosk_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS user_sessions_expires ON user_sessions (expires_at);
