"""Sender reputation and compare-with-previous-period in real headless Chromium (ids mf311 ...), against the
session's generated traffic: every expected figure is recomputed from the events that were posted."""

from __future__ import annotations

import re
from collections import Counter

import pytest
from playwright.sync_api import expect

from store.filters import Filters
from tests.browser.kit import screenshot

pytestmark = pytest.mark.browser
DASHED = ("([id, prefix]) => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
          " return !!g && !!g.data && g.data.some(t => t.line && t.line.dash === 'dash'"
          " && (t.name || '').startsWith(prefix) && (t.x || []).length > 0); }")
HAS_TRACES = ("id => { const g = document.querySelector('#' + id + ' .js-plotly-plot');"
              " return !!g && !!g.data && g.data.some(t => (t.x || []).length > 0); }")


def _outbound_in(events: list[dict], range_: str) -> list[dict]:
    """The posted outbound events inside the range the page shows (the same bucket-aligned window)."""
    f = Filters.from_query({"range": range_})
    start, end = f.start.timestamp() * 1000, f.end.timestamp() * 1000
    seen, out = set(), []
    for e in events:
        key = (e["event_id"], e["timestamp"])
        if e["direction"] == "outbound" and start <= e["timestamp"] < end and key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _cells(pg, table: str, column: int) -> list[str]:
    return pg.locator(f"#{table} tbody tr td:nth-child({column})").all_text_contents()


def test_mf311_senders_page_shows_ip_and_sender_tables_and_the_provider_matrix(page, live_url, loaded):
    events = _outbound_in(loaded, "7d")
    sent_by_ip = Counter(e["local_ip"] for e in events if e["event_type"] == "received")
    senders = {e["from_address"].split("@")[1] for e in events}
    page.goto(live_url + "/senders?range=7d")
    page.wait_for_selector("#senders-ip-table tbody tr", timeout=15_000)
    shown = dict(zip(_cells(page, "senders-ip-table", 1), _cells(page, "senders-ip-table", 2), strict=True))
    # other tests of the session post events without a local IP, shown as "(none)"; every IP row is ours
    assert {ip: int(n.replace(",", "")) for ip, n in shown.items() if ip != "(none)"} == dict(sent_by_ip)
    page.wait_for_selector("#senders-sender-table tbody tr", timeout=15_000)
    assert set(_cells(page, "senders-sender-table", 1)) - {"(none)"} == senders
    page.wait_for_function("() => { const g = document.querySelector('#senders-matrix .js-plotly-plot');"
                           " return !!g && !!g.data && g.data.length === 1 && g.data[0].type === 'heatmap'; }",
                           timeout=15_000)
    axes = page.evaluate("() => { const t = document.querySelector('#senders-matrix .js-plotly-plot').data[0];"
                         " return [t.y, t.x]; }")
    assert set(axes[0]) - {"(none)"} == set(sent_by_ip)
    assert len(axes[1]) >= 2 and "gmail" in axes[1]
    assert "spamhaus" in page.locator("#senders-ip-table").text_content()  # the blocklist replies drawn
    screenshot(page, "senders")
    assert page.errors == []


def test_mf312_an_ip_links_to_its_events(page, live_url, loaded):
    page.goto(live_url + "/senders?range=7d")
    link = page.locator("#senders-ip-table tbody tr a").first
    link.wait_for(timeout=15_000)
    ip = link.text_content()
    queue_ids = {e["queue_id"] for e in _outbound_in(loaded, "7d") if e["local_ip"] == ip}
    link.click()
    expect(page).to_have_url(re.compile(r"/events\?.*ip=" + re.escape(ip)))
    page.wait_for_selector(".table-events tbody tr", timeout=15_000)
    assert f"ip: {ip}" in page.locator("#shell-body").text_content()
    shown = page.locator(".table-events tbody tr td:nth-child(4)").all_text_contents()
    assert shown and set(shown) <= queue_ids
    assert page.errors == []


def test_mf313_compare_switch_overlays_the_previous_period_and_lives_in_the_url(page, live_url):
    page.goto(live_url + "/?range=24h")
    page.wait_for_function(HAS_TRACES, arg="outbound-throughput", timeout=15_000)
    switch = page.locator("#outbound-compare")
    switch.check()
    expect(switch).to_be_checked()
    page.wait_for_function(DASHED, arg=["outbound-throughput", "previous 24h: "], timeout=15_000)
    expect(page).to_have_url(re.compile(r"[?&]compare=1(&|$)"))
    screenshot(page, "outbound-compare")
    page.goto(live_url + "/performance?range=7d&compare=1")
    expect(page.locator("#perf-compare")).to_be_checked(timeout=15_000)
    page.wait_for_function(DASHED, arg=["perf-trend", "previous 7d: "], timeout=15_000)
    page.locator("#perf-compare").uncheck()
    expect(page).not_to_have_url(re.compile(r"compare="))
    page.wait_for_function("() => !document.querySelector('#perf-trend .js-plotly-plot').data"
                           ".some(t => (t.name || '').startsWith('previous'))", timeout=15_000)
    assert page.errors == []
