"""Server-side sessions (issue 12, item 1): logout, disabling, password and role changes and kiosk revocation end
the session record, so a copied cookie stops working; the admin page lists sessions and ends one or all."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import text

from pipeline import apikeys
from store import accounts, db, sessions
from tests.support import USERS, login, session_cookie
from webauth import SESSION_COOKIE, identity, passwords

pytestmark = pytest.mark.integration
DATA = "/api/v1/email/events"


def _form_login(client, username: str, password: str):
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf})


def _copy(app, client):
    """A second browser holding a copy of the client's session cookie (what an attacker would replay)."""
    thief = app.test_client()
    thief.set_cookie(SESSION_COOKIE, session_cookie(client).split("=", 1)[1])
    return thief


def _user_sessions(name: str) -> int:
    with db.engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM user_sessions s JOIN users u ON u.id = s.user_id "
                                 "WHERE u.username = :n"), {"n": name}).scalar_one()


def _new_user(role: str = "viewer") -> str:
    name = f"s{uuid.uuid4().hex[:8]}"
    with db.engine().begin() as conn:
        accounts.create_user(conn, name, passwords.hash_password("a-password-123"), role)
    return name


def test_logout_ends_a_copied_cookie_too(app, anonymous, test_users):
    assert _form_login(anonymous, "viewer", USERS["viewer"][1]).status_code == 302
    thief = _copy(app, anonymous)
    assert thief.get(DATA).status_code == 200
    anonymous.get("/_dash-layout")  # the shell's logout form carries the CSRF token
    with anonymous.session_transaction() as session:
        csrf = session["csrf"]
    assert anonymous.post("/logout", data={"csrf": csrf}).status_code == 302
    assert anonymous.get(DATA).status_code == 401
    assert thief.get(DATA).status_code == 401  # the cookie copied before logout is dead as well


@pytest.mark.parametrize("change", ["disable", "password", "role"])
def test_account_changes_delete_the_users_sessions(app, clean, test_users, change):
    name = _new_user()
    client = app.test_client()
    assert _form_login(client, name, "a-password-123").status_code == 302
    thief = _copy(app, client)
    assert _user_sessions(name) == 1 and thief.get(DATA).status_code == 200
    with db.engine().begin() as conn:
        if change == "disable":
            accounts.set_disabled(conn, name, True)
        elif change == "password":
            accounts.set_password(conn, name, passwords.hash_password("another-password-1"))
        else:
            accounts.set_role(conn, name, "admin")
    assert _user_sessions(name) == 0
    identity.forget()  # another process would see it within AUTH_CACHE_SECONDS
    assert client.get(DATA).status_code == 401 and thief.get(DATA).status_code == 401


def test_kiosk_revocation_deletes_its_sessions(anonymous, test_users):
    token = f"k{uuid.uuid4().hex}"
    with db.engine().begin() as conn:
        token_id = accounts.create_kiosk(conn, "wall", apikeys.digest(token), "test")
    assert anonymous.get(f"/kiosk/{token}").status_code == 302
    assert anonymous.get(DATA).status_code == 200
    count = text("SELECT count(*) FROM user_sessions WHERE kiosk_id = :k")
    with db.engine().begin() as conn:
        assert conn.execute(count, {"k": token_id}).scalar_one() == 1
        accounts.revoke_kiosk(conn, token_id)
        assert conn.execute(count, {"k": token_id}).scalar_one() == 0
    identity.forget()
    assert anonymous.get(DATA).status_code == 401


def test_last_seen_is_written_at_most_once_a_minute(client):
    stamp = text("SELECT last_seen_at FROM user_sessions s JOIN users u ON u.id = s.user_id "
                 "WHERE u.username = 'viewer'")
    with db.engine().begin() as conn:
        conn.execute(text("UPDATE user_sessions SET last_seen_at = now() - interval '5 minutes'"))
        old = conn.execute(stamp).scalar_one()
    identity.forget()
    assert client.get(DATA).status_code == 200
    with db.engine().connect() as conn:
        touched = conn.execute(stamp).scalar_one()
    assert touched > old
    for _ in range(3):  # fresh lookups (no cache), yet no further write within the minute
        identity.forget()
        assert client.get(DATA).status_code == 200
    with db.engine().connect() as conn:
        assert conn.execute(stamp).scalar_one() == touched


def _sessions_payload(cell=None, end_all=0) -> dict:
    outputs = [("admin-sessions-table", "rowData"), ("admin-sessions-result", "children")]
    changed = "admin-sessions-endall.n_clicks" if end_all else "admin-sessions-table.cellClicked"
    return {"output": ".." + "...".join(f"{i}.{p}" for i, p in outputs) + "..",
            "outputs": [{"id": i, "property": p} for i, p in outputs],
            "inputs": [{"id": "admin-sessions-table", "property": "cellClicked", "value": cell},
                       {"id": "admin-sessions-endall", "property": "n_clicks", "value": end_all}],
            "changedPropIds": [changed]}


def _table(response) -> list[dict]:
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return response.json["response"]["admin-sessions-table"]["rowData"]


def test_admin_lists_and_ends_one_session_or_all_others(app, admin_client, client):
    other = login(app.test_client(), "viewer")
    rows = _table(admin_client.post("/_dash-update-component", json=_sessions_payload()))
    assert {r["who"] for r in rows} == {"admin", "viewer"} and len(rows) == 3
    assert all(r["ip"] and r["started"] and r["last_seen"] for r in rows)
    assert [r["end"] for r in rows].count("this session") == 1
    denied = client.post("/_dash-update-component", json=_sessions_payload(end_all=1))
    assert "admin role is required" in denied.get_data(as_text=True)
    victim = next(r for r in rows if r["who"] == "viewer")
    cell = {"colId": "end", "rowIndex": 0, "rowId": victim["id"], "value": "End", "timestamp": 1}
    rows = _table(admin_client.post("/_dash-update-component", json=_sessions_payload(cell)))
    own = next(r for r in rows if r["end"] == "this session")  # a click on one's own row ends nothing
    assert _table(admin_client.post("/_dash-update-component", json=_sessions_payload(
        {**cell, "rowId": own["id"], "value": own["end"]}))) == rows
    assert victim["id"] not in {r["id"] for r in rows} and len(rows) == 2
    assert [c.get(DATA).status_code for c in (client, other)].count(401) == 1
    rows = _table(admin_client.post("/_dash-update-component", json=_sessions_payload(end_all=1)))
    assert [r["who"] for r in rows] == ["admin"]
    assert client.get(DATA).status_code == 401 and other.get(DATA).status_code == 401
    assert admin_client.get(DATA).status_code == 200


def test_expired_sessions_are_deleted_by_maintenance(client):
    from workers import maintenance

    with db.engine().begin() as conn:
        conn.execute(text("UPDATE user_sessions SET expires_at = now() - interval '1 minute'"))
    assert maintenance.maintain()["sessions_expired"] >= 1
    with db.engine().connect() as conn:
        assert sessions.active(conn) == []
        assert conn.execute(text("SELECT count(*) FROM user_sessions")).scalar_one() == 0
