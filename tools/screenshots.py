"""Screenshots of every dashboard page, light and kiosk, for the README tour (issue 15 item 7).

`echo "$PASSWORD" | python -m tools.screenshots --url http://127.0.0.1:8050 --user admin --password-stdin
[--range 7d] [--out docs/screenshots]` logs in through the login form with Playwright driving Debian's Chromium
(/usr/bin/chromium; Playwright's own browser download is not used), finds the pages from the top bar's links (so a
new page is included without changing this tool), adds one message timeline, and saves each page at 1600x1000 as
<page>-light.png and <page>-kiosk.png. A page is taken once Dash has nothing loading, the counters have
settled and the live feed is connected.
"""

from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path
from urllib.parse import urlsplit

VIEWPORT = {"width": 1600, "height": 1000}
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run"]
SETTLED = """() => !document.querySelector('[data-dash-is-loading="true"]')
  && [...document.querySelectorAll('[data-settled]')].every(el => el.dataset.settled === '1')
  && !document.querySelector('.dash-spinner, ._dash-loading')
  && document.getElementById('live-status')?.textContent !== 'connecting'"""


def chromium() -> str:
    """Debian's Chromium binary."""
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if path is None:
        raise SystemExit("Debian chromium is not installed (apt-get install chromium)")
    return path


def page_name(path: str) -> str:
    """A file-name stem for a page path: / -> outbound, /queue -> queue, /message/<id> -> message."""
    parts = [p for p in urlsplit(path).path.split("/") if p]
    return parts[0] if parts else "outbound"


def log_in(page, base: str, user: str, password: str) -> None:
    """Log in through the real form; fail clearly when the credentials are refused."""
    page.goto(base + "/login")
    page.fill("#username", user)
    page.fill("#password", password)
    page.click("#login-submit")
    page.wait_for_selector("#shell-user, .alert-danger", timeout=20_000)
    if page.query_selector("#shell-user") is None:
        raise SystemExit(f"login as {user!r} failed: {page.inner_text('.alert-danger').strip()}")


def page_paths(page, base: str, range_: str) -> list[str]:
    """Every page linked from the top bar, plus the timeline of the newest message on the events list."""
    page.goto(f"{base}/?range={range_}")
    page.wait_for_selector("[id^='nav-']")
    paths = [urlsplit(a.get_attribute("href")).path for a in page.query_selector_all("[id^='nav-']")]
    page.goto(f"{base}/events?range={range_}")
    link = page.wait_for_selector("a[href*='/message/']", timeout=20_000)
    return list(dict.fromkeys(paths)) + [urlsplit(link.get_attribute("href")).path]


def take(page, url: str, target: Path) -> None:
    """Open url, wait until the page has settled, save a full-viewport screenshot."""
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(SETTLED, timeout=30_000)
    page.screenshot(path=str(target))


def run(base: str, user: str, password: str, range_: str, out: Path) -> list[Path]:
    """Log in, take every page light and kiosk; return the files written."""
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=BROWSER_ARGS)
        page = browser.new_context(viewport=VIEWPORT).new_page()
        log_in(page, base, user, password)
        for path in page_paths(page, base, range_):
            for mode, query in (("light", "theme=light"), ("kiosk", "kiosk=1")):
                target = out / f"{page_name(path)}-{mode}.png"
                take(page, f"{base}{path}?range={range_}&{query}", target)
                written.append(target)
                print(f"saved {target}", flush=True)
        browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Command line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="the dashboard's base URL")
    parser.add_argument("--user", required=True)
    parser.add_argument("--password-stdin", action="store_true", required=True,
                        help="read the password from standard input (never from the command line)")
    parser.add_argument("--range", default="7d", dest="range_", help="the time range of every page (default 7d)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args(argv)
    if not re.fullmatch(r"\d+[hd]|custom", args.range_):
        parser.error("--range must look like 1h, 24h or 7d")
    password = sys.stdin.readline().rstrip("\n")
    run(args.url.rstrip("/"), args.user, password, args.range_, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
