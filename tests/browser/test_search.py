"""The Events page's search box in real Chromium: a whole address is found over 30 days and the page says it was
an exact match; a partial term over 30 days is not run and the page says why (ids mf5xx)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.browser.kit import screenshot

pytestmark = pytest.mark.browser


def _search(pg, term: str) -> None:
    pg.locator("#events-q").fill(term)
    pg.locator("#events-q").press("Enter")


def test_mf501_a_whole_address_is_an_exact_search_over_30_days(page, live_url, loaded):
    address = next(e["to_address"] for e in loaded if e["direction"] == "outbound" and e["event_type"] == "delivered")
    page.goto(live_url + "/events?range=30d")
    page.wait_for_selector(".table-events tbody tr", timeout=15_000)
    _search(page, address.upper())
    expect(page).to_have_url(re.compile(r"[?&]q=" + re.escape(address.upper().replace("@", "%40"))))
    expect(page.locator("#events-search-note")).to_contain_text("Exact match", timeout=15_000)
    rows = page.locator(".table-events tbody tr")
    expect(rows.first).to_contain_text(address, timeout=15_000)
    texts = rows.all_text_contents()
    assert texts and all(address in t for t in texts)
    screenshot(page, "mf501-exact-search")


def test_mf502_a_partial_term_over_30_days_says_it_is_capped(page, live_url):
    page.goto(live_url + "/events?range=30d")
    page.wait_for_selector(".table-events tbody tr", timeout=15_000)
    _search(page, "example")
    expect(page.locator("#events-search-capped")).to_contain_text("at most 7 days", timeout=15_000)
    expect(page.locator("#events-search-note")).to_contain_text("Partial match")
    expect(page.locator(".table-events")).to_have_count(0)
