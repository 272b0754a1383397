"""One normalised username (issue 12, item 2): padding, case and width variants of a name share the login limit,
log in as the same user, and cannot create a second look-alike user."""

from __future__ import annotations

import re

import pytest

from store import accounts, db
from store.accounts import AccountError
from tests.support import USERS
from webauth import passwords

pytestmark = pytest.mark.integration


def _login(app, username: str, password: str, ip: str):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    return client.post("/login", data={"username": username, "password": password, "csrf": csrf})


@pytest.mark.parametrize("variant", [" admin ", "ADMIN", "\tAdmin\n", "ａｄｍｉｎ", "ＡＤＭＩＮ"])
def test_variants_of_a_limited_name_stay_limited(app, clean, test_users, variant):
    statuses = [_login(app, "admin", "wrong-password-x", "192.0.2.1").status_code for _ in range(10)]
    assert statuses == [401] * 10
    # a new address and the right password: the per-username limit must still hold for every variant
    assert _login(app, variant, USERS["admin"][1], "192.0.2.2").status_code == 429


@pytest.mark.parametrize("variant", [" viewer ", "VIEWER", "ｖｉｅｗｅｒ"])
def test_variants_log_in_as_the_same_user(app, clean, test_users, variant):
    response = _login(app, variant, USERS["viewer"][1], "192.0.2.3")
    assert response.status_code == 302


def test_a_lookalike_that_does_not_fold_is_another_name_and_no_user(app, clean, test_users):
    for _ in range(10):
        _login(app, "admin", "wrong-password-x", "192.0.2.4")
    cyrillic = "\u0430dmin"  # Cyrillic small a: NFKC keeps it, so it is not 'admin' and can never be a user name
    assert _login(app, cyrillic, USERS["admin"][1], "192.0.2.5").status_code == 401
    with db.engine().begin() as conn, pytest.raises(AccountError):
        accounts.create_user(conn, cyrillic, passwords.hash_password("a-password-123"), "viewer")


def test_creating_a_width_or_case_variant_of_an_existing_user_is_refused(clean, test_users):
    with db.engine().begin() as conn:
        for variant in ("ＶＩＥＷＥＲ", " Viewer "):
            with pytest.raises(AccountError, match="already exists"):
                accounts.create_user(conn, variant, passwords.hash_password("a-password-123"), "viewer")
