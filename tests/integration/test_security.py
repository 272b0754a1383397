"""Security (issue #7): the gate, login, sessions, roles, kiosk links, managed ingest keys, rate limits, headers."""

from __future__ import annotations

import re
import time
import uuid

import pytest
from sqlalchemy import text

from pipeline import apikeys
from store import accounts, db, ingest_keys
from tests.support import USERS, make_settings, post, run_worker

pytestmark = pytest.mark.integration
EVENT = {"event_type": "delivered", "direction": "outbound", "mta_node": "mta-sec"}


def _event() -> dict:
    return dict(EVENT, event_id=f"sec-{uuid.uuid4().hex}", timestamp=int(time.time() * 1000))


def _form_login(client, username: str, password: str, **kwargs):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf, **kwargs},
                       **({"environ_base": kwargs.pop("environ_base")} if "environ_base" in kwargs else {}))


def _eventually(check, seconds: float = 3.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


@pytest.mark.parametrize("path", ["/", "/inbound", "/queue", "/events?type=bounced", "/admin"])
def test_pages_redirect_to_login_with_next(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize("path", ["/api/v1/email/summary", "/api/v1/email/events", "/api/v1/email/queue",
                                  "/api/v1/openapi.json", "/_dash-layout", "/_dash-dependencies", "/ws/email-flow"])
def test_api_dash_and_websocket_answer_401_json(anonymous, path):
    response = anonymous.get(path)
    assert response.status_code == 401 and "error" in response.json
    assert anonymous.post("/_dash-update-component", json={}).status_code == 401


def test_open_paths_stay_open(anonymous):
    assert anonymous.get("/login").status_code == 200
    assert anonymous.get("/healthz").status_code == 200
    assert anonymous.get("/assets/bootstrap.min.css").status_code == 200
    assert post(anonymous, [_event()]).status_code == 202


def test_login_logout_and_safe_next(anonymous, test_users):
    assert _form_login(anonymous, "viewer", "not-the-password").status_code == 401
    response = _form_login(anonymous, "viewer", USERS["viewer"][1], next="//evil.example/x")
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert anonymous.get("/api/v1/email/summary").status_code == 200
    layout = anonymous.get("/_dash-layout").get_data(as_text=True)
    with anonymous.session_transaction() as session:
        token = session["csrf"]
    assert token in layout  # the shell's logout form carries it
    assert anonymous.post("/logout", data={"csrf": "wrong"}).status_code == 302  # ignored without the token
    assert anonymous.get("/api/v1/email/summary").status_code == 200
    anonymous.post("/logout", data={"csrf": token})
    assert anonymous.get("/api/v1/email/summary").status_code == 401


def test_login_form_needs_its_csrf_token(anonymous, test_users):
    response = anonymous.post("/login", data={"username": "viewer", "password": USERS["viewer"][1]})
    assert response.status_code == 400
    assert anonymous.get("/api/v1/email/summary").status_code == 401


def test_login_rate_limit_per_ip_and_per_username(anonymous, test_users):
    statuses = [_form_login(anonymous, "viewer", "wrong-password-x").status_code for _ in range(11)]
    assert statuses == [401] * 10 + [429]
    limited = _form_login(anonymous, "viewer", USERS["viewer"][1])
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) > 0
    # another address, same username: the per-username limit still holds
    other = anonymous.application.test_client()
    other.environ_base["REMOTE_ADDR"] = "192.0.2.77"
    assert _form_login(other, "viewer", USERS["viewer"][1]).status_code == 429
    assert _form_login(other, "admin", USERS["admin"][1]).status_code == 302


def test_viewer_cannot_reach_admin_page_or_its_callbacks(client, admin_client):
    assert client.get("/admin").status_code == 403
    assert admin_client.get("/admin").status_code == 200
    name = f"k{uuid.uuid4().hex[:8]}"
    payload = {"output": "..admin-keys-list.children...admin-keys-pick.options...admin-keys-result.children..",
               "outputs": [{"id": "admin-keys-list", "property": "children"},
                           {"id": "admin-keys-pick", "property": "options"},
                           {"id": "admin-keys-result", "property": "children"}],
               "inputs": [{"id": "admin-keys-create", "property": "n_clicks", "value": 1},
                          {"id": "admin-keys-revoke", "property": "n_clicks", "value": 0}],
               "state": [{"id": "admin-keys-name", "property": "value", "value": name},
                         {"id": "admin-keys-pick", "property": "value", "value": None}],
               "changedPropIds": ["admin-keys-create.n_clicks"]}
    denied = client.post("/_dash-update-component", json=payload)
    assert "admin role is required" in denied.get_data(as_text=True)
    with db.engine().connect() as conn:
        assert name not in {k["name"] for k in ingest_keys.keys(conn)}
    created = admin_client.post("/_dash-update-component", json=payload)
    assert created.status_code == 200 and apikeys.PREFIX in created.get_data(as_text=True)
    with db.engine().connect() as conn:
        assert name in {k["name"] for k in ingest_keys.keys(conn)}


def test_disabling_a_user_ends_their_sessions(app, clean, test_users):
    from webauth import passwords

    name = f"u{uuid.uuid4().hex[:8]}"
    with db.engine().begin() as conn:
        accounts.create_user(conn, name, passwords.hash_password("a-password-123"), "viewer")
    client = app.test_client()
    assert _form_login(client, name, "a-password-123").status_code == 302
    assert client.get("/api/v1/email/summary").status_code == 200
    with db.engine().begin() as conn:
        accounts.set_disabled(conn, name, True)
    assert _eventually(lambda: client.get("/api/v1/email/summary").status_code == 401)
    assert _form_login(app.test_client(), name, "a-password-123").status_code == 401


def test_stale_session_is_refused(client):
    from webauth import identity

    assert client.get("/api/v1/email/summary").status_code == 200
    with db.engine().begin() as conn:  # the server-side record says when a session ends, not the cookie
        conn.execute(text("UPDATE user_sessions SET expires_at = now() - interval '1 second'"))
    identity.forget()
    assert client.get("/api/v1/email/summary").status_code == 401


def test_kiosk_link_gives_a_read_only_session_until_revoked(anonymous, test_users):
    token = "t" * 43
    with db.engine().begin() as conn:
        token_id = accounts.create_kiosk(conn, "wall", apikeys.digest(token), "test")
    assert anonymous.get("/kiosk/wrong-token").status_code == 404
    response = anonymous.get(f"/kiosk/{token}?next=/queue")
    assert response.status_code == 302 and response.headers["Location"] == "/queue?kiosk=1"
    assert anonymous.get("/api/v1/email/summary").status_code == 200
    assert anonymous.get("/admin").status_code == 403
    with db.engine().begin() as conn:
        assert accounts.revoke_kiosk(conn, token_id)
    assert _eventually(lambda: anonymous.get("/api/v1/email/summary").status_code == 401)
    assert anonymous.get(f"/kiosk/{token}").status_code == 404


def test_managed_ingest_key_names_the_source_and_stops_when_revoked(client, redis):
    with db.engine().connect() as conn:
        key = ingest_keys.create(conn, redis, "mta-sec")
    event = _event()
    assert post(client, [event], key=key).status_code == 202
    run_worker(redis)
    with db.engine().connect() as conn:
        source = conn.execute(text("SELECT source FROM email_events WHERE event_id = :e"),
                              {"e": event["event_id"]}).scalar()
    assert source == "mta-sec"
    with db.engine().connect() as conn:
        assert ingest_keys.revoke(conn, redis, "mta-sec")
    assert _eventually(lambda: post(client, [_event()], key=key).status_code == 401, seconds=2.5)


def test_revoked_key_stops_at_once_without_the_cache(engine, redis, test_users):
    from app import create_app

    app = create_app(make_settings(INGEST_KEY_CACHE_SECONDS="0"))
    client = app.test_client()
    with db.engine().connect() as conn:
        key = ingest_keys.create(conn, redis, "mta-nocache")
        assert post(client, [_event()], key=key).status_code == 202
        ingest_keys.revoke(conn, redis, "mta-nocache")
    assert post(client, [_event()], key=key).status_code == 401


def test_mirror_is_rebuilt_from_postgresql(client, redis):
    with db.engine().connect() as conn:
        key = ingest_keys.create(conn, redis, f"mirror-{uuid.uuid4().hex[:6]}")
        redis.delete(apikeys.REDIS_HASH)
        assert ingest_keys.sync(conn, redis) >= 1
    assert redis.hget(apikeys.REDIS_HASH, apikeys.digest(key)) is not None


def test_per_key_rate_limit(engine, redis, test_users):
    from app import create_app

    client = create_app(make_settings(INGEST_KEY_RATE_LIMIT="3/minute")).test_client()
    with db.engine().connect() as conn:
        limited = ingest_keys.create(conn, redis, f"busy-{uuid.uuid4().hex[:6]}")
        other = ingest_keys.create(conn, redis, f"calm-{uuid.uuid4().hex[:6]}")
    statuses = [post(client, b"[]", key=limited).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]
    assert int(post(client, b"[]", key=limited).headers["Retry-After"]) > 0
    assert post(client, b"[]", key=other).status_code == 400  # another key from the same address is not limited


def test_security_headers(client):
    response = client.get("/api/v1/email/summary")
    csp = response.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "'unsafe-eval'" not in csp
    assert "'unsafe-inline'" not in csp.split("script-src", 1)[1].split(";", 1)[0]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"
    cookie = client.get_cookie("mailflow_session")
    assert cookie.http_only and cookie.same_site == "Lax"


def test_metrics_token(engine, redis):
    from app import create_app

    client = create_app(make_settings(METRICS_TOKEN="metrics-token-0123456789")).test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer metrics-token-0123456789"}).status_code == 200


def test_cli_users_keys_and_kiosk(monkeypatch, capsys, clean, redis):
    from webauth import cli

    monkeypatch.setenv("DATABASE_URL", make_settings().database_url)
    monkeypatch.setenv("REDIS_URL", make_settings().redis_url)
    name = f"cli{uuid.uuid4().hex[:6]}"
    assert cli.main(["users", "create", name, "--role", "admin"]) == 0
    assert "password (shown once)" in capsys.readouterr().out
    assert cli.main(["users", "disable", name]) == 0
    assert cli.main(["users", "list"]) == 0
    assert re.search(rf"{name}\s+admin\s+disabled", capsys.readouterr().out)
    assert cli.main(["users", "create", name]) == 2
    assert cli.main(["keys", "create", name]) == 0
    key = capsys.readouterr().out.rsplit(" ", 1)[1].strip()
    assert redis.hget(apikeys.REDIS_HASH, apikeys.digest(key)) == name.encode()
    assert cli.main(["keys", "revoke", name]) == 0
    assert redis.hget(apikeys.REDIS_HASH, apikeys.digest(key)) is None
    assert cli.main(["kiosk", "create", "wall", "--base-url", "https://mf.example"]) == 0
    assert "https://mf.example/kiosk/" in capsys.readouterr().out
    assert cli.main(["ensure-admin"]) == 0 and capsys.readouterr().out == ""  # users exist: nothing to do
