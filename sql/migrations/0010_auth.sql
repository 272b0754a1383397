-- Dashboard users, wall-screen (kiosk) tokens and managed ingest keys (README "Security").
-- Secrets are stored only as hashes: argon2id for passwords, SHA-256 for the 256-bit random tokens and keys.

CREATE TABLE IF NOT EXISTS users (
    id             bigserial   PRIMARY KEY,
    username       text        NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9][a-z0-9._@-]{0,63}$'),
    password_hash  text        NOT NULL,
    role           text        NOT NULL CHECK (role IN ('viewer', 'admin')),
    disabled       boolean     NOT NULL DEFAULT false,
    -- bumped on password change, disable and role change: every session issued before is refused
    session_epoch  integer     NOT NULL DEFAULT 0,
    created_at     timestamptz NOT NULL DEFAULT now(),
    last_login_at  timestamptz
);

CREATE TABLE IF NOT EXISTS kiosk_tokens (
    id          bigserial   PRIMARY KEY,
    name        text        NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    token_hash  text        NOT NULL UNIQUE,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

CREATE TABLE IF NOT EXISTS ingest_keys (
    id          bigserial   PRIMARY KEY,
    name        text        NOT NULL CHECK (name ~ '^[a-z0-9][a-z0-9._-]{0,62}$'),
    key_hash    text        NOT NULL UNIQUE,
    created_by  text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    revoked_at  timestamptz
);

-- a name identifies one live key (it is the events' `source`); a revoked name may be reused
CREATE UNIQUE INDEX IF NOT EXISTS ingest_keys_live_name ON ingest_keys (name) WHERE revoked_at IS NULL;
