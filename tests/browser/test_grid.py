"""The data grids (components/grid.py, dash-ag-grid) in real headless Chromium (ids mf4xx): sorting, filtering,
numbers formatted and right-aligned, labels with markup shown as text, the admin's End click, and the theme.

AG Grid draws rows after its data arrives and positions them itself, so the tests wait for `.ag-row` and read rows
in their `row-index` order; expected values come from the grid's own row data (its API), never from constants.
"""

from __future__ import annotations

import secrets

import pytest

from pipeline import apikeys
from store import accounts, db
from tests.browser.kit import login_form, new_page, screenshot
from tests.support import USERS

pytestmark = pytest.mark.browser
SHOWN = ("([id, col]) => [...document.querySelectorAll('#' + id + ' .ag-center-cols-container .ag-row')]"
         ".sort((a, b) => a.getAttribute('row-index') - b.getAttribute('row-index'))"
         ".map(r => r.querySelector('[col-id=\"' + col + '\"]').textContent)")
ALL = ("([id, col]) => { const out = []; dash_ag_grid.getApi(id).forEachNode(n => out.push(n.data[col]));"
       " return out; }")
MARKUP = '<img src=x onerror="alert(1)"><b>NOC</b>'


def _shown(pg, grid_id: str, col: str) -> list[str]:
    return pg.evaluate(SHOWN, [grid_id, col])


def _domains(pg):
    pg.goto(pg.base + "/performance?range=7d")
    pg.locator("#perf-domains .ag-row[row-index='0']").wait_for(timeout=15_000)
    pg.wait_for_function("() => dash_ag_grid.getApi('perf-domains').getDisplayedRowCount() > 1")


@pytest.fixture
def perf(page, live_url):
    page.base = live_url
    _domains(page)
    return page


def test_mf401_sorting_by_a_column_changes_the_order(perf):
    totals = perf.evaluate(ALL, ["perf-domains", "total"])
    assert _shown(perf, "perf-domains", "total")[0] == f"{max(totals):,}"  # the server's order: most events first
    cell = perf.locator("#perf-domains .ag-row[row-index='0'] .ag-cell[col-id='total']")
    assert "ag-right-aligned-cell" in cell.get_attribute("class")
    perf.click("#perf-domains .ag-header-cell[col-id='total'] .ag-header-cell-label")  # ascending
    perf.wait_for_function(f"() => {SHOWN}(['perf-domains', 'total'])[0] === '{min(totals):,}'")
    shown = [int(v.replace(",", "")) for v in _shown(perf, "perf-domains", "total")]
    assert shown == sorted(shown) and len(shown) == min(15, len(totals))  # one page of 15, in order
    perf.click("#perf-domains .ag-header-cell[col-id='total'] .ag-header-cell-label")  # descending
    perf.wait_for_function(f"() => {SHOWN}(['perf-domains', 'total'])[0] === '{max(totals):,}'")
    assert perf.errors == []


def test_mf402_filtering_a_column_narrows_the_rows(perf):
    keys = perf.evaluate(ALL, ["perf-domains", "key"])
    needle = keys[-1]  # the last domain of the list: on no page but the last one before filtering
    expected = [k for k in keys if needle.lower() in k.lower()]
    perf.fill("#perf-domains .ag-floating-filter[aria-colindex='1'] input", needle)
    perf.wait_for_function("n => dash_ag_grid.getApi('perf-domains').getDisplayedRowCount() === n",
                           arg=len(expected), timeout=10_000)
    assert len(expected) < len(keys)
    assert sorted(_shown(perf, "perf-domains", "key")) == sorted(expected[:15])
    screenshot(perf, "performance-grid-filtered")
    assert perf.errors == []


def _admin_page(browser, live_url):
    pg = new_page(browser)
    login_form(pg, live_url, "admin", USERS["admin"][1])
    pg.wait_for_selector("#nav-admin", timeout=15_000)
    pg.goto(live_url + "/admin")
    return pg


def test_mf403_a_label_with_markup_is_shown_as_text(browser, live_url):
    with db.engine().begin() as conn:
        token_id = accounts.create_kiosk(conn, MARKUP, apikeys.digest(secrets.token_urlsafe(32)), "test")
    pg = _admin_page(browser, live_url)
    dialogs = []
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    try:
        pg.locator("#admin-kiosk-table .ag-cell[col-id='name']").first.wait_for(timeout=15_000)
        assert MARKUP in _shown(pg, "admin-kiosk-table", "name")  # the name as typed, markup and all
        assert pg.locator("#admin-kiosk-table img, #admin-kiosk-table b").count() == 0
        assert dialogs == [] and pg.errors == []
    finally:
        with db.engine().begin() as conn:
            accounts.revoke_kiosk(conn, token_id)
        pg.context.close()


def test_mf404_clicking_end_in_the_sessions_grid_ends_that_session(browser, live_url):
    agent = f"mf404-{secrets.token_hex(4)}"
    other = new_page(browser)
    other.context.set_extra_http_headers({"User-Agent": agent})
    login_form(other, live_url, "viewer", USERS["viewer"][1])
    other.wait_for_selector("#shell-user", timeout=15_000)
    pg = _admin_page(browser, live_url)
    row = pg.locator("#admin-sessions-table .ag-row").filter(
        has=pg.locator(".ag-cell[col-id='user_agent']", has_text=agent))
    row.wait_for(timeout=15_000)
    end = row.locator(".ag-cell[col-id='end']")
    assert end.text_content() == "End" and "mf-grid-action" in end.get_attribute("class")
    end.click()
    row.wait_for(state="detached", timeout=10_000)
    assert "Session ended" in pg.locator("#admin-sessions-result").text_content()
    assert other.context.request.get(live_url + "/api/v1/email/events").status == 401  # its cookie stopped working
    assert pg.errors == []
    pg.context.close()
    other.context.close()


def test_mf405_grids_follow_the_light_dark_and_kiosk_themes(page, live_url):
    style = ("() => { const g = getComputedStyle(document.querySelector('#perf-domains .ag-root-wrapper'));"
             " const b = getComputedStyle(document.body);"
             " return [g.backgroundColor, b.backgroundColor, g.color, b.color, g.fontSize]; }")
    for query, size in (("", "14px"), ("&kiosk=1", "17px")):
        page.goto(live_url + "/performance?range=7d" + query)
        page.locator("#perf-domains .ag-row[row-index='0']").wait_for(timeout=15_000)
        page.wait_for_function("d => document.documentElement.getAttribute('data-bs-theme') === d",
                               arg="dark" if query else "light")
        grid_bg, body_bg, grid_fg, body_fg, font = page.evaluate(style)
        assert (grid_bg, grid_fg, font) == (body_bg, body_fg, size)
    screenshot(page, "performance-grid-kiosk")
    assert page.errors == []
