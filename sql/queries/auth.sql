-- Users, kiosk tokens and ingest keys (store/accounts.py, store/ingest_keys.py). Secrets arrive already hashed.

-- name: user_count
-- How many users exist (the launcher creates the first admin when none does).
SELECT count(*) FROM users;

-- name: user_by_name
-- One user by login name, for the login form.
SELECT id, username, password_hash, role, disabled, session_epoch FROM users WHERE username = :username;

-- name: user_by_id
-- One user by id, for the per-request session check.
SELECT id, username, role, disabled, session_epoch FROM users WHERE id = :id;

-- name: user_list
-- Every user, for the CLI and the admin page.
SELECT id, username, role, disabled, created_at, last_login_at FROM users ORDER BY username;

-- name: user_insert
-- A new user; the caller hashed the password.
INSERT INTO users (username, password_hash, role) VALUES (:username, :password_hash, :role) RETURNING id;

-- name: user_set_password
-- A new password hash; the user's sessions are deleted unless only rehashing at login (:bump = 0).
WITH u AS (UPDATE users SET password_hash = :password_hash, session_epoch = session_epoch + :bump
           WHERE username = :username RETURNING id),
     s AS (DELETE FROM user_sessions WHERE :bump = 1 AND user_id IN (SELECT id FROM u))
SELECT id FROM u;

-- name: user_set_disabled
-- Disable or enable a user; the user's sessions are deleted either way.
WITH u AS (UPDATE users SET disabled = :disabled, session_epoch = session_epoch + 1
           WHERE username = :username RETURNING id),
     s AS (DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM u))
SELECT id FROM u;

-- name: user_set_role
-- Change a user's role; the user's sessions are deleted.
WITH u AS (UPDATE users SET role = :role, session_epoch = session_epoch + 1 WHERE username = :username RETURNING id),
     s AS (DELETE FROM user_sessions WHERE user_id IN (SELECT id FROM u))
SELECT id FROM u;

-- name: user_logged_in
-- Remember the last successful login.
UPDATE users SET last_login_at = now() WHERE id = :id;

-- name: kiosk_insert
-- A new wall-screen token (hash only).
INSERT INTO kiosk_tokens (name, token_hash, created_by) VALUES (:name, :token_hash, :created_by) RETURNING id;

-- name: kiosk_by_hash
-- A live token by its hash, for /kiosk/<token>.
SELECT id, name FROM kiosk_tokens WHERE token_hash = :token_hash AND revoked_at IS NULL;

-- name: kiosk_live
-- Whether a token id is still live, for the per-request check of a kiosk session.
SELECT name FROM kiosk_tokens WHERE id = :id AND revoked_at IS NULL;

-- name: kiosk_revoke
-- Revoke a token by id and delete the sessions opened with it.
WITH k AS (UPDATE kiosk_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL RETURNING id),
     s AS (DELETE FROM user_sessions WHERE kiosk_id IN (SELECT id FROM k))
SELECT id FROM k;

-- name: kiosk_list
-- Every token (never the secret), newest first.
SELECT id, name, created_by, created_at, revoked_at FROM kiosk_tokens ORDER BY created_at DESC, id DESC;

-- name: ingest_key_insert
-- A new ingest key (hash only).
INSERT INTO ingest_keys (name, key_hash, created_by) VALUES (:name, :key_hash, :created_by) RETURNING id;

-- name: ingest_key_revoke
-- Revoke the live key of a name; returns its hash so the Redis mirror can drop it.
UPDATE ingest_keys SET revoked_at = now() WHERE name = :name AND revoked_at IS NULL RETURNING key_hash;

-- name: ingest_key_live
-- Every live key's hash and name: the content of the Redis mirror.
SELECT key_hash, name FROM ingest_keys WHERE revoked_at IS NULL;

-- name: ingest_key_list
-- Every key (never the secret), newest first.
SELECT id, name, created_by, created_at, revoked_at FROM ingest_keys ORDER BY created_at DESC, id DESC;

-- name: session_insert
-- A new session (user or kiosk) for the hash of the cookie's random id.
INSERT INTO user_sessions (token_hash, user_id, kiosk_id, ip, user_agent, expires_at)
VALUES (:token_hash, :user_id, :kiosk_id, :ip, :user_agent, now() + :seconds * interval '1 second') RETURNING id;

-- name: session_lookup
-- The live identity behind a session: its user (not disabled) or its kiosk token (not revoked), and when it was
-- last seen. Nothing when the session was ended, has expired, or its user or token no longer qualifies.
SELECT s.id, s.last_seen_at, u.id AS user_id, u.username, u.role, k.id AS kiosk_id, k.name AS kiosk_name
FROM user_sessions s
LEFT JOIN users u ON u.id = s.user_id AND NOT u.disabled
LEFT JOIN kiosk_tokens k ON k.id = s.kiosk_id AND k.revoked_at IS NULL
WHERE s.token_hash = :token_hash AND s.expires_at > now() AND (u.id IS NOT NULL OR k.id IS NOT NULL);

-- name: session_touch
-- Record activity, at most once a minute per session (no write per request).
UPDATE user_sessions SET last_seen_at = now()
WHERE token_hash = :token_hash AND last_seen_at < now() - interval '60 seconds';

-- name: session_delete
-- End one session by the hash of its id (logout).
DELETE FROM user_sessions WHERE token_hash = :token_hash;

-- name: session_delete_by_id
-- End one session by its row id (the admin page); returns it when there was one.
DELETE FROM user_sessions WHERE id = :id RETURNING id;

-- name: session_delete_all_but
-- End every session except the caller's own row (the admin page's "End all").
DELETE FROM user_sessions WHERE id <> :keep;

-- name: session_list
-- The active sessions for the admin page, most recently seen first.
SELECT s.id, coalesce(u.username, 'kiosk: ' || k.name) AS who, s.ip, s.user_agent, s.created_at, s.last_seen_at
FROM user_sessions s
LEFT JOIN users u ON u.id = s.user_id
LEFT JOIN kiosk_tokens k ON k.id = s.kiosk_id
WHERE s.expires_at > now()
ORDER BY s.last_seen_at DESC, s.id DESC;

-- name: session_delete_expired
-- Retention: expired sessions (the maintenance job).
DELETE FROM user_sessions WHERE expires_at <= now();
