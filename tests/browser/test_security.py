"""Security in the real browser (ids mf1xx): login redirect and form, CSP enforced without breaking Dash, kiosk
links and their revocation, the admin page only for admins."""

from __future__ import annotations

import secrets
import time

import pytest

from pipeline import apikeys
from store import accounts, db
from tests.browser.kit import login_form, new_page
from tests.support import USERS

pytestmark = pytest.mark.browser


def _wait_until(pg, condition, seconds: float = 5.0) -> None:
    """Poll a condition (letting the page run between tries) until it holds or the time is up."""
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        pg.wait_for_timeout(50)


def test_mf101_anonymous_goes_to_login_and_back_after_logging_in(anonymous_page, live_url):
    pg = anonymous_page
    pg.goto(live_url + "/performance?range=7d")
    assert "/login?next=" in pg.url
    pg.fill("#username", "viewer")
    pg.fill("#password", "wrong-password-123")
    pg.click("#login-submit")
    assert "Invalid username or password" in pg.locator("#login-error").text_content()
    pg.fill("#password", USERS["viewer"][1])
    pg.click("#login-submit")
    pg.wait_for_selector("#perf-trend .js-plotly-plot", timeout=15_000)
    assert pg.url.endswith("/performance?range=7d")
    assert not pg.locator("#nav-admin").count()  # a viewer is not offered the admin page
    pg.click("#shell-logout")
    pg.wait_for_url("**/login")
    assert pg.errors == [] or all("401" in e for e in pg.errors)


def test_mf102_csp_blocks_injected_inline_script_and_reports_it(page, live_url):
    page.goto(live_url + "/")
    page.wait_for_selector("#outbound-throughput .js-plotly-plot", timeout=15_000)
    ran = page.evaluate("() => { const s = document.createElement('script'); s.textContent = 'window.__pwned = 1';"
                        " document.head.appendChild(s); return window.__pwned === 1; }")
    assert ran is False
    _wait_until(page, lambda: any("CSP violation: script-src" in e for e in page.errors))


def test_mf103_kiosk_link_shows_the_wall_and_stops_when_revoked(browser, live_url):
    token = secrets.token_urlsafe(32)
    with db.engine().begin() as conn:
        token_id = accounts.create_kiosk(conn, "NOC left", apikeys.digest(token), "test")
    pg = new_page(browser)
    pg.goto(f"{live_url}/kiosk/{token}?next=/queue")
    assert pg.url.endswith("/queue?kiosk=1")
    pg.wait_for_selector("#queue-total", timeout=15_000)
    pg.wait_for_selector("#shell-navbar", state="hidden", timeout=5_000)  # kiosk styling is applied client-side
    with db.engine().begin() as conn:
        accounts.revoke_kiosk(conn, token_id)
    # the wall screen leaves by itself: its live socket is closed with "session ended" at the next session check
    # (every AUTH_CACHE_SECONDS, 2 s, plus the per-process cache's 2 s), and the page goes to the login form
    # wait for the login form itself, not just the URL: the wall may start more than one client-side redirect (the
    # socket's close and a refused Dash update), and a goto issued while one is pending gets interrupted by it
    pg.wait_for_url("**/login**", timeout=15_000)
    pg.wait_for_selector("#username", timeout=15_000)
    pg.wait_for_load_state("load")
    pg.goto(live_url + "/queue?kiosk=1")  # and the link's session stays refused: the server sends the login form
    pg.wait_for_selector("#username", timeout=15_000)
    assert "/login" in pg.url
    # after the revocation, only refusals may show: Dash updates (401) and the live socket's reconnects
    assert all("401" in e or "HTTP Authentication failed" in e for e in pg.errors), pg.errors
    pg.context.close()


def test_mf104_admin_page_only_for_admins(page, browser, live_url):
    response = page.goto(live_url + "/admin")
    assert response.status == 403
    pg = new_page(browser)
    login_form(pg, live_url, "admin", USERS["admin"][1])
    pg.wait_for_selector("#nav-admin", timeout=15_000)
    pg.click("#nav-admin")
    pg.wait_for_selector("#admin-keys-table", timeout=15_000)
    pg.fill("#admin-keys-name", "browser-test-key")
    pg.click("#admin-keys-create")
    pg.wait_for_selector("#admin-keys-result code", timeout=10_000)
    assert pg.locator("#admin-keys-result code").text_content().startswith(apikeys.PREFIX)
    assert pg.errors == []
    pg.context.close()


def test_mf105_a_session_ending_in_an_open_tab_leads_to_the_login_page(browser, live_url, viewer_state):
    pg = new_page(browser, viewer_state)
    pg.goto(live_url + "/?range=24h")
    pg.wait_for_selector("#outbound-throughput .js-plotly-plot", timeout=15_000)
    pg.context.clear_cookies()  # the session is gone (logged out elsewhere, expired, or the user was disabled)
    pg.select_option("#shell-range", "7d")  # the next Dash update is answered 401
    pg.wait_for_url("**/login?next=**", timeout=10_000)
    assert pg.url.endswith("/login?next=%2F%3Frange%3D24h")  # back to the page as it was, after logging in


MARKUP = '<a href="https://evil.example/x">evil</a>'


def _insert_markup_rollups(value: str) -> None:
    """Rows carrying markup in node and category, written straight into every rollup resolution (bypassing the
    ingest grammar, as an old row or another writer could)."""
    from sqlalchemy import text

    with db.engine().begin() as conn:
        for res, width in (("5m", 300), ("1h", 3600), ("1d", 86400)):
            bucket = f"to_timestamp(floor(extract(epoch FROM now()) / {width}) * {width})"
            conn.execute(text(f"INSERT INTO email_stats_{res} (bucket, direction, event_type, mta_node, zone, events) "
                              f"VALUES ({bucket}, 'outbound', 'delivered', :v, :v, 5000) ON CONFLICT DO NOTHING"),
                         {"v": value})
            conn.execute(text(f"INSERT INTO email_dim_{res} (bucket, direction, event_type, dim, key, events) "
                              f"VALUES ({bucket}, 'outbound', 'bounced', 'category', :v, 5000) ON CONFLICT DO NOTHING"),
                         {"v": value})


def _delete_markup_rollups(value: str) -> None:
    from sqlalchemy import text

    with db.engine().begin() as conn:
        for res in ("5m", "1h", "1d"):
            conn.execute(text(f"DELETE FROM email_stats_{res} WHERE mta_node = :v"), {"v": value})
            conn.execute(text(f"DELETE FROM email_dim_{res} WHERE key = :v"), {"v": value})


def test_mf106_markup_in_stored_identifiers_is_shown_as_text_never_as_a_link(page, live_url):
    _insert_markup_rollups(MARKUP)
    try:
        page.goto(live_url + "/?range=1h")
        nodes, categories = page.locator("#outbound-nodes"), page.locator("#outbound-categories")
        page.wait_for_selector("#outbound-nodes .legendtext >> text=evil", timeout=15_000)  # drawn either way
        page.wait_for_selector("#outbound-categories .ytick >> text=evil", timeout=15_000)
        assert nodes.locator("svg a").count() == 0 and categories.locator("svg a").count() == 0
        legend = nodes.locator(".legendtext").all_text_contents()
        assert MARKUP in legend  # the value is shown literally, markup and all
        assert MARKUP in categories.locator(".ytick").all_text_contents()
    finally:
        _delete_markup_rollups(MARKUP)
