"""The Alerts page in headless Chromium: an admin creates a rule through the form, the evaluator runs on the
generated traffic, and a viewer sees the rule in the state the evaluation left it, without the admin form."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import redis as redis_lib

from store import alert_stats
from tests.browser.kit import login_form, new_page
from tests.support import REDIS_URL, USERS
from workers import alerts
from workers.alert_measure import window_start

pytestmark = pytest.mark.browser
WINDOW = 60


def _bounced_in_window(events: list[dict]) -> int:
    """Outbound bounces the rule's window covers (it starts at a 5-minute bucket boundary, as the rollups do)."""
    since = window_start(datetime.now(UTC), WINDOW).timestamp() * 1000
    return sum(1 for e in events if e["event_type"] == "bounced" and e["direction"] == "outbound"
               and e["timestamp"] >= since)


def test_admin_creates_a_rule_and_a_viewer_sees_its_state(browser, live_url, loaded, page):
    name = f"bounces {time.time_ns()}"
    admin = new_page(browser)
    try:
        login_form(admin, live_url, "admin", USERS["admin"][1])
        admin.wait_for_selector("#shell-user", timeout=15_000)
        admin.goto(live_url + "/alerts")
        admin.wait_for_selector("#alerts-form", state="visible", timeout=15_000)
        admin.fill("#alerts-name", name)
        admin.select_option("#alerts-metric", "bounce_rate")
        admin.fill("#alerts-threshold", "0.0001")
        admin.fill("#alerts-window", str(WINDOW))
        admin.fill("#alerts-min-events", "1")
        admin.click("#alerts-create")
        admin.wait_for_selector("#alerts-outcome", timeout=15_000)
        assert "created" in admin.locator("#alerts-outcome").text_content()
        admin.wait_for_selector(f"#alerts-rules-table td:text-is('{name}')", timeout=15_000)
        assert admin.errors == []
    finally:
        admin.context.close()

    changed = alerts.evaluate()  # what the scheduler runs every minute
    expected = "firing" if _bounced_in_window(loaded) else "ok"
    assert changed.get(name, "ok") == expected

    page.goto(live_url + "/alerts")
    row = page.locator("#alerts-rules-table tr", has_text=name)
    row.wait_for(timeout=15_000)
    assert row.locator(".alert-state").text_content() == expected
    assert page.locator("#alerts-form").is_hidden()
    if expected == "firing":
        page.wait_for_selector(f"#alerts-history-table td:text-is('{name}')", timeout=15_000)
        firing = alert_stats.firing(redis_lib.Redis.from_url(REDIS_URL))
        page.wait_for_selector("#nav-alerts-firing", timeout=15_000)
        assert page.locator("#nav-alerts-firing").text_content() == str(firing)
    assert page.errors == []
