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
-- A new password hash; older sessions stop working (epoch bump) unless only rehashing (:bump = 0).
UPDATE users SET password_hash = :password_hash, session_epoch = session_epoch + :bump
WHERE username = :username RETURNING id;

-- name: user_set_disabled
-- Disable or enable a user; every session issued before stops working.
UPDATE users SET disabled = :disabled, session_epoch = session_epoch + 1 WHERE username = :username RETURNING id;

-- name: user_set_role
-- Change a user's role; every session issued before stops working.
UPDATE users SET role = :role, session_epoch = session_epoch + 1 WHERE username = :username RETURNING id;

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
-- Revoke a token by id; sessions opened with it stop at their next request.
UPDATE kiosk_tokens SET revoked_at = now() WHERE id = :id AND revoked_at IS NULL RETURNING id;

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
