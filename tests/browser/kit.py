"""Browser test helpers: Debian's Chromium, a page that records console and page errors (every
Content-Security-Policy violation is a console error), the real login form, and screenshots as artifacts."""

from __future__ import annotations

import shutil
from pathlib import Path

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"

CSP_REPORTER = ("document.addEventListener('securitypolicyviolation', e => console.error("
                "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI));")


def login_form(pg, base: str, username: str, password: str) -> None:
    """Log in through the real form."""
    pg.goto(base + "/login")
    pg.fill("#username", username)
    pg.fill("#password", password)
    pg.click("#login-submit")


def new_page(browser, state=None):
    """A 1920x1080 page (optionally with stored cookies) that records console errors and page errors."""
    context = browser.new_context(viewport={"width": 1920, "height": 1080}, storage_state=state)
    context.add_init_script(CSP_REPORTER)
    pg = context.new_page()
    pg.errors = []
    pg.on("console", lambda m: pg.errors.append(m.text) if m.type == "error" else None)
    pg.on("pageerror", lambda e: pg.errors.append(str(e)))
    return pg


def screenshot(pg, name: str) -> None:
    """Save a 1920x1080 screenshot as a test artifact."""
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"))
