"""Compare with the previous period (issue 14, item 6): URL key, previous range, shifted dashed traces."""

from datetime import UTC, datetime, timedelta

import pandas as pd

from components import compare, reports
from components.figures import label
from pages._compare import previous, seconds
from store.filters import Filters

NOW = datetime(2026, 11, 28, 9, 17, tzinfo=UTC)


def _flow(start: datetime, hours: int, delivered: list[int]) -> dict:
    points = [{"time": (start + timedelta(hours=i)).strftime("%Y-%m-%dT%H:%M:%SZ"), "delivered": n, "deferred": 1,
               "bounced": 0, "rejected": 0} for i, n in enumerate(delivered)]
    end = start + timedelta(hours=hours)
    return {"range": {"start": points[0]["time"], "end": end.strftime("%Y-%m-%dT%H:%M:%SZ")}, "series": points}


def test_the_url_key_round_trips_and_keeps_the_rest_of_the_view():
    on = compare.with_compare("?range=7d&kiosk=1&node=mta-01", True)
    assert compare.enabled(on) and "range=7d" in on and "kiosk=1" in on and "node=mta-01" in on
    off = compare.with_compare(on, False)
    assert not compare.enabled(off) and "compare" not in off and "range=7d" in off
    assert not compare.enabled("?compare=maybe") and compare.enabled("?compare=true")


def test_previous_label_names_the_range():
    assert compare.previous_label("?range=7d") == "previous 7d"
    assert compare.previous_label("") == "previous 24h"
    assert compare.previous_label("?range=custom&from=2026-11-27T10:00&to=2026-11-27T12:00") == "previous period"


def test_previous_range_has_equal_length_and_the_same_buckets():
    f = Filters.from_query({"range": "24h"}, now=NOW)
    before = previous(f)
    assert before.end == f.start and before.end - before.start == f.end - f.start
    assert before.resolution == f.resolution and len(before.buckets()) == len(f.buckets())
    assert seconds(f) == 86_400


def test_overlay_adds_dashed_previous_traces_shifted_onto_the_current_axis():
    f = Filters.from_query({"range": "6h"}, now=NOW)
    hours = int(f.hours)
    current = _flow(f.start, hours, [5] * hours)
    before = _flow(previous(f).start, hours, list(range(hours)))
    fig = reports.throughput_figure(current, "outbound", reports.OUTBOUND_AREA, "light")
    drawn = len(fig.data)
    series = [("delivered", "Delivered", "#198754"), ("deferred", "Deferred", None)]
    fig = compare.overlay(fig, reports.series_frame(before["series"]), series, "previous 6h", seconds(f), True)
    added = fig.data[drawn:]
    assert [t.name for t in added] == ["previous 6h: Delivered", "previous 6h: Deferred"]
    assert all(t.line.dash == "dash" and t.stackgroup == compare.PREVIOUS and t.fill == "none" for t in added)
    current_x = pd.to_datetime(pd.Series(fig.data[0].x), utc=True).dt.tz_localize(None)
    assert list(pd.Series(added[0].x)) == list(current_x)  # previous bucket i sits under current bucket i
    assert list(added[0].y) == [p["delivered"] for p in before["series"]]
    assert set(added[0].customdata) == {compare.PREVIOUS}


def test_overlay_leaves_an_empty_figure_or_frame_alone_and_escapes_names():
    f = Filters.from_query({"range": "1h"}, now=NOW)
    empty = reports.throughput_figure(_flow(f.start, 1, [0]) | {"series": []}, "outbound", ("delivered",), "light")
    frame = reports.series_frame(_flow(previous(f).start, 1, [3])["series"])
    assert compare.overlay(empty, frame, [("delivered", "x", None)], "previous 1h", 3600).data == ()
    fig = reports.throughput_figure(_flow(f.start, 1, [2]), "outbound", ("delivered",), "light")
    assert compare.overlay(fig, pd.DataFrame(), [("delivered", "x", None)], "p", 3600) is fig
    fig = compare.overlay(fig, frame, [("delivered", "<b>x</b>", None)], "previous 1h", 3600)
    assert fig.data[-1].name == label("previous 1h: <b>x</b>")
