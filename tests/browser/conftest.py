"""Browser fixtures: the real app served on loopback with generated data loaded through the real ingest path, and
Debian's headless Chromium driven by Playwright (its own browser download is not used). Pages open logged in as the
viewer (one real login through the form per session). Helpers are in tests/browser/kit.py."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

import pytest
from werkzeug.serving import make_server

from tests.browser.kit import CHROMIUM, login_form, new_page
from tests.support import DATABASE_URL, REDIS_URL, TEST_KEY, USERS, empty_tables, make_settings, post, run_worker
from tools.traffic import dataset

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def loaded(app, engine):
    """The app's database and Redis emptied, then a week of generated traffic posted and written."""
    import redis as redis_lib

    from workers import context

    context.use(make_settings())
    empty_tables(engine)
    conn = redis_lib.Redis.from_url(REDIS_URL)
    conn.flushdb()
    now = int(time.time() * 1000)
    events = dataset(17, now - 7 * 86_400_000, now, 2500, now_ms=now) + dataset(18, now - 3_600_000, now, 600,
                                                                                now_ms=now)
    client = app.test_client()
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    run_worker(conn)
    return events


@pytest.fixture(scope="session")
def live_url(app, loaded, test_users):
    """Base URL of the app served in a thread (the session's viewer and admin users exist)."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium."""
    if CHROMIUM is None:
        pytest.skip("Debian chromium is not installed (apt-get install chromium chromium-driver)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        yield b
        b.close()




@pytest.fixture(scope="session")
def viewer_state(browser, live_url, test_users):
    """Cookies of one real login as the viewer, reused by every page."""
    context = browser.new_context()
    pg = context.new_page()
    login_form(pg, live_url, "viewer", USERS["viewer"][1])
    pg.wait_for_selector("#shell-user", timeout=15_000)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture
def page(browser, viewer_state):
    """A fresh logged-in (viewer) page."""
    pg = new_page(browser, viewer_state)
    yield pg
    pg.context.close()


@pytest.fixture
def anonymous_page(browser, live_url):
    """A fresh page without a session."""
    pg = new_page(browser)
    yield pg
    pg.context.close()


@pytest.fixture
def worker_process():
    """A real worker process (the one the Procfile runs) writing what the live server buffers."""
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, SECRET_KEY="x" * 20,
               INGEST_API_KEYS=TEST_KEY, LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env)
    yield proc
    proc.terminate()
    proc.wait(20)
