"""The Queue page's "Sources (ZoneMTA plugins)" table in real Chromium: one node's plugin posts heartbeats to the
live server (with events lost at the source), another node went silent (mf201)."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
import redis as redis_lib

from pipeline import heartbeats
from tests.browser.kit import ARTIFACTS, screenshot
from tests.support import REDIS_URL, TEST_KEY

pytestmark = pytest.mark.browser


def _heartbeat(node: str, process: str, **fields) -> dict:
    now_ms = int(time.time() * 1000)
    return {"mta_node": node, "process_id": process, "started_at": now_ms - 60_000, "sent_at": now_ms,
            "interval_seconds": 15, "plugin_version": "0.2.0", "zonemta_version": "3.9.1", "seen": 100, "sent": 97,
            "rejected": 0, "dropped": 0, "buffered": 0, "spooled": 0} | fields


def _post(base: str, beat: dict) -> int:
    request = urllib.request.Request(base + "/api/v1/events/heartbeat", data=json.dumps(beat).encode(),
                                     method="POST", headers={"Authorization": f"Bearer {TEST_KEY}",
                                                             "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return response.status


def test_mf201_queue_page_shows_plugin_sources_with_losses_and_a_silent_node(page, live_url):
    assert _post(live_url, _heartbeat("hb-live", "hb-live:1:1", buffered=40, dropped=3)) == 202
    assert _post(live_url, _heartbeat("hb-live", "hb-live:2:1", buffered=2, spooled=5,
                                      last_error="connect ECONNREFUSED 10.0.0.5:8050")) == 202
    # the other node's last heartbeat arrived 5 minutes ago (the clock is injected, nothing sleeps)
    heartbeats.record(redis_lib.Redis.from_url(REDIS_URL), _heartbeat("hb-quiet", "hb-quiet:9:1"),
                      now=time.time() - 300)
    page.goto(live_url + "/queue")
    page.wait_for_selector("#source-node-hb-quiet .silent-badge", timeout=15_000)
    live, quiet = page.locator("#source-node-hb-live"), page.locator("#source-node-hb-quiet")
    assert "silent since" in quiet.locator(".silent-badge").text_content()
    assert "table-danger" in quiet.get_attribute("class")
    assert "reporting" in live.locator(".silent-badge").text_content()
    assert live.locator(".source-processes").text_content() == "2 / 2"
    assert live.locator(".source-buffered").text_content() == "42"
    assert live.locator(".source-spooled").text_content() == "5"
    lost = live.locator(".source-lost")
    assert lost.text_content() == "3" and "text-danger" in lost.get_attribute("class")
    assert quiet.locator(".source-lost").text_content() == "0"
    assert "ECONNREFUSED" in live.locator(".source-error").text_content()
    assert "0.2.0 / 3.9.1" == live.locator(".source-versions").text_content()
    assert "s ago" in live.locator(".source-last").text_content()
    screenshot(page, "queue-sources")
    page.locator("#sources-table").screenshot(path=str(ARTIFACTS / "queue-sources-table.png"))
    assert page.errors == []
