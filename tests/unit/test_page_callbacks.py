"""Page callbacks that turn their inputs into a URL, called directly (`dash.callback` registers the function and
returns it unchanged): the
drill-downs, the text search and the CSV links keep the view's range and theme and add only what was clicked."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import dash
import flask
import pytest
from dash import no_update

from store.filters import Filters

ISO = "%Y-%m-%dT%H:%M:%SZ"


@pytest.fixture(scope="module")
def pages():
    """The page modules. dash.register_page needs a Dash app to exist: when no test built the real one yet, a bare
    app that imports no pages folder (so each page registers once, under its own module name) and never serves."""
    if "pages.events" not in sys.modules:
        dash.Dash(__name__, use_pages=True, pages_folder="")
    from pages import events, inbound, performance

    with flask.Flask(__name__).test_request_context():  # the pages' URL parsing notes problems on flask.g
        yield {"events": events, "inbound": inbound, "performance": performance}


def _query(href: str) -> tuple[str, dict]:
    parts = urlsplit(href)
    return parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()}


def test_search_keeps_the_view_restarts_the_list_and_trims_the_text(pages):
    search = "?range=7d&theme=dark&type=bounced&cursor=abc&q=old"
    path, query = _query(pages["events"].search_events(1, None, "  gmail  ", search))
    assert path == "/events" and query == {"range": "7d", "theme": "dark", "type": "bounced", "q": "gmail"}
    _path, query = _query(pages["events"].search_events(1, None, " " * 3, search))
    assert "q" not in query and "cursor" not in query
    long = "x" * 500
    assert _query(pages["events"].search_events(1, None, long, search))[1]["q"] == long[:200]


def test_inbound_click_opens_the_bucket_of_the_clicked_type(pages):
    click = {"points": [{"x": "2026-11-28 09:00:00", "customdata": "rejected"}]}
    path, query = _query(pages["inbound"].drill_down(click, "?range=6h&theme=dark"))
    assert path == "/events"
    # the link spans exactly the clicked bucket, of the width the chart draws for this range
    width = timedelta(seconds=Filters.from_query({"range": "6h"}).bucket_seconds)
    start = datetime(2026, 11, 28, 9, tzinfo=UTC)
    assert query == {"from": start.strftime(ISO), "to": (start + width).strftime(ISO), "theme": "dark",
                     "direction": "inbound", "type": "rejected"}


def test_inbound_spam_point_lists_delivered_events_and_no_click_changes_nothing(pages):
    click = {"points": [{"x": "2026-11-28 09:00:00", "customdata": "spam"}]}
    assert _query(pages["inbound"].drill_down(click, "?range=6h"))[1]["type"] == "delivered"
    assert pages["inbound"].drill_down(None, "?range=6h") is no_update
    assert pages["inbound"].drill_down({"points": []}, "?range=6h") is no_update


def test_performance_csv_links_follow_the_range(pages):
    domains, providers = pages["performance"].csv_links("?range=30d")
    for href, by in ((domains, "domain"), (providers, "provider")):
        path, query = _query(href)
        assert path == "/api/v1/email/stats"
        assert query["range"] == "30d" and query["by"] == by and query["format"] == "csv"


def test_performance_domain_click_opens_that_domain_only_for_a_real_row(pages):
    open_events = pages["performance"].open_domain_events  # the grid's cellClicked names the row by its id
    path, query = _query(open_events({"rowId": "example.org", "colId": "key"}, "?range=24h"))
    assert path == "/events" and query == {"range": "24h", "direction": "outbound", "domain": "example.org"}
    assert open_events({"rowId": "(none)", "colId": "key"}, "?range=24h") is no_update
    assert open_events(None, "?range=24h") is no_update
