"""Browser fixtures: the real app served on loopback with generated data loaded through the real ingest path, and
Debian's headless Chromium driven by Playwright (its own browser download is not used). Pages open logged in as the
viewer through the real login form. Helpers are in tests/browser/kit.py.

Integration tests empty the tables (user_sessions too) and flush Redis before and after each test, and they may run
before, between or after the browser modules in any order. So the data and the viewer's login are not loaded once
per session but checked before every browser test (`scene`) and loaded again only when gone: the data when the
scene's token has left Redis (every integration reset flushes it) or email_events holds fewer rows than the load
wrote (the tables were emptied), the login when its server-side session no longer exists.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import time

import pytest
import redis as redis_lib

from tests.browser.kit import CHROMIUM, login_form, new_page
from tests.support import DATABASE_URL, REDIS_URL, TEST_KEY, USERS, empty_tables, make_settings, post, run_worker
from tests.support import serve as serve_app
from tools.traffic import dataset

pytestmark = pytest.mark.browser
SCENE_KEY = "mailflow-test:browser-scene"  # holds the token of the load the database holds


def _load(app, engine, conn: redis_lib.Redis) -> list[dict]:
    """Empty the database and Redis, post a week of generated traffic through ingest, write it; returns the events."""
    from workers import context

    context.use(make_settings())
    empty_tables(engine)
    conn.flushdb()
    now = int(time.time() * 1000)
    events = dataset(17, now - 7 * 86_400_000, now, 2500, now_ms=now) + dataset(18, now - 3_600_000, now, 600,
                                                                                now_ms=now)
    client = app.test_client()
    for i in range(0, len(events), 1000):
        assert post(client, events[i:i + 1000]).status_code == 202
    run_worker(conn)
    return events


def _stored_events() -> int:
    """Rows in email_events now."""
    from sqlalchemy import text

    from store import db

    with db.engine().connect() as conn:
        return conn.execute(text("SELECT count(*) FROM email_events")).scalar_one()


def _session_alive(app, state: dict) -> bool:
    """Whether the server still holds the session the stored login cookie names (a reset or a test may end it)."""
    from pipeline import apikeys
    from store import db, sessions
    from webauth import SESSION_COOKIE

    values = [c["value"] for c in state["cookies"] if c["name"] == SESSION_COOKIE]
    sid = app.session_interface.get_signing_serializer(app).loads(values[0]).get("sid") if values else None
    if not sid:
        return False
    with db.engine().connect() as conn:
        return sessions.lookup(conn, apikeys.digest(sid)) is not None


def _viewer_login(browser, base: str) -> dict:
    """Cookies of one real login as the viewer through the form."""
    context = browser.new_context()
    pg = context.new_page()
    login_form(pg, base, "viewer", USERS["viewer"][1])
    pg.wait_for_selector("#shell-user", timeout=15_000)
    state = context.storage_state()
    context.close()
    return state


@pytest.fixture(scope="session")
def server_url(app, engine, test_users):
    """Base URL of the app served in a thread (the session's viewer and admin users exist)."""
    with serve_app(app) as host:
        yield f"http://{host}"


@pytest.fixture(scope="session")
def _scene_cache() -> dict:
    """What the latest load left: its token, events, stored row count and viewer cookies (checked by `scene`)."""
    return {}


@pytest.fixture
def scene(app, engine, browser, server_url, _scene_cache) -> dict:
    """The loaded data and a live viewer login, loaded again if a reset (or a test) took them away since."""
    conn = redis_lib.Redis.from_url(REDIS_URL)
    token = conn.get(SCENE_KEY)
    # browser tests only add rows to the load (posted events, heartbeats), so fewer rows means the tables were emptied
    if (token is None or token.decode() != _scene_cache.get("token")
            or _stored_events() < _scene_cache.get("stored", 0)):
        _scene_cache.clear()
        _scene_cache["events"] = _load(app, engine, conn)
        _scene_cache["stored"] = _stored_events()
        _scene_cache["token"] = secrets.token_hex(8)
        conn.set(SCENE_KEY, _scene_cache["token"])
    if "state" not in _scene_cache or not _session_alive(app, _scene_cache["state"]):
        _scene_cache["state"] = _viewer_login(browser, server_url)
    return _scene_cache


@pytest.fixture
def live_url(server_url, scene) -> str:
    """Base URL of the served app, with the data loaded."""
    return server_url


@pytest.fixture
def loaded(scene) -> list[dict]:
    """The events the database holds (a week of generated traffic)."""
    return scene["events"]


@pytest.fixture
def viewer_state(scene) -> dict:
    """Cookies of a real login as the viewer, whose session is live."""
    return scene["state"]


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
def worker_process(scene):
    """A real worker process (the one the Procfile runs) writing what the live server buffers (started after the
    scene is loaded: a load flushes Redis, which would drop the worker's registration)."""
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, SECRET_KEY="x" * 20,
               INGEST_API_KEYS=TEST_KEY, LOG_LEVEL="WARNING")
    proc = subprocess.Popen([sys.executable, "-m", "workers", "worker"], env=env)
    yield proc
    proc.terminate()
    proc.wait(20)
