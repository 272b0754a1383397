"""Browser fixtures: the real app served on loopback with generated data loaded through the real ingest path, and
Debian's headless Chromium driven by Playwright (its own browser download is not used). Pages open logged in as the
viewer (one real login through the form per session); every Content-Security-Policy violation is a console error."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.conftest import DATABASE_URL, REDIS_URL, TEST_KEY
from tests.integration.conftest import USERS, app, engine, post, run_worker, test_users  # noqa: F401  (fixtures)
from tools.traffic import dataset

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def loaded(app, engine):  # noqa: F811
    """The app's database and Redis emptied, then a week of generated traffic posted and written."""
    import redis as redis_lib
    from sqlalchemy import text

    from tests.conftest import make_settings
    from tests.integration.conftest import TABLES
    from workers import context

    context.use(make_settings())

    with engine.begin() as conn:
        conn.execute(text("TRUNCATE " + ", ".join(TABLES)))
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
def live_url(app, loaded, test_users):  # noqa: F811
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


CSP_REPORTER = ("document.addEventListener('securitypolicyviolation', e => console.error("
                "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")


def login_form(pg, base: str, username: str, password: str) -> None:
    """Log in through the real form."""
    pg.goto(base + "/login")
    pg.fill("#username", username)
    pg.fill("#password", password)
    pg.click("#login-submit")


@pytest.fixture(scope="session")
def viewer_state(browser, live_url, test_users):  # noqa: F811
    """Cookies of one real login as the viewer, reused by every page."""
    context = browser.new_context()
    pg = context.new_page()
    login_form(pg, live_url, "viewer", USERS["viewer"][1])
    pg.wait_for_selector("#shell-user", timeout=15_000)
    state = context.storage_state()
    context.close()
    return state


def new_page(browser, state=None):
    """A 1920x1080 page (optionally with stored cookies) that records console errors and page errors."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, storage_state=state)
    context.add_init_script(CSP_REPORTER)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return pg


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


def screenshot(pg, name: str) -> None:
    """Save a 1920x1080 screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))


@pytest.fixture
def worker_process():
    """A real worker process (the one the Procfile runs) writing what the live server buffers."""
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, SECRET_KEY="x" * 20,
               INGEST_API_KEYS=TEST_KEY, LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env)
    yield proc
    proc.terminate()
    proc.wait(20)
