"""Pure UI logic: URL view state round trips, figure builders' empty states and traces, drill-down URLs."""

import pandas as pd

from components import figures, reports
from components.urlstate import filter_args, query_string, view_state


def test_view_state_defaults_and_kiosk_dark():
    assert view_state("") == {"range": "24h", "from": None, "to": None, "refresh": 0, "theme": "light",
                              "kiosk": False, "extra": {}, "problems": []}
    state = view_state("?kiosk=1&refresh=10&node=mta-01")
    assert state["kiosk"] and state["theme"] == "dark" and state["refresh"] == 10
    assert state["extra"] == {"node": "mta-01"}


def test_bad_values_fall_back_and_query_round_trips():
    assert view_state("?range=1y&refresh=abc")["range"] == "24h"
    assert view_state("?range=custom")["range"] == "24h"  # custom without from/to
    search = "?range=7d&refresh=30&theme=dark"
    assert query_string(view_state(search)) == search


def test_filter_args_for_custom_ranges():
    state = view_state("?range=custom&from=2026-11-27T10:00&to=2026-11-27T12:00")
    assert filter_args(state) == {"from": "2026-11-27T10:00:00Z", "to": "2026-11-27T12:00:00Z"}


def test_stacked_area_has_one_trace_per_type_and_an_empty_state():
    frame = pd.DataFrame({"time": pd.to_datetime(["2026-11-28T00:00Z", "2026-11-28T01:00Z"]),
                          "delivered": [5, 7], "bounced": [1, 0]})
    fig = figures.stacked_area(frame, [("delivered", "Delivered"), ("bounced", "Bounced")], "dark")
    assert [t.name for t in fig.data] == ["Delivered", "Bounced"]
    empty = figures.stacked_area(frame.assign(delivered=0, bounced=0), [("delivered", "D")], "light")
    assert empty.data == () and "No events" in empty.layout.annotations[0].text


def test_gauge_colour_follows_thresholds():
    assert figures.gauge(2.0, "", "light").data[0].gauge.bar.color == "#198754"
    assert figures.gauge(5.0, "", "light").data[0].gauge.bar.color == "#f0ad00"
    assert figures.gauge(12.0, "", "light").data[0].gauge.bar.color == "#dc3545"


def test_drill_down_urls_keep_range_and_add_filters():
    href = reports.events_href("?range=7d&theme=dark", None, None, domain="gmail.com")
    assert href == "/events?range=7d&theme=dark&domain=gmail.com"
    click = {"points": [{"x": "2026-11-28 09:00", "customdata": "bounced"}]}
    assert reports.bucket_of(click, 3600) == ("2026-11-28T09:00:00Z", "2026-11-28T10:00:00Z", "bounced")
