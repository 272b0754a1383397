"""Sparse data keeps readable axes (issue 15, item 2): the x-axis spans the selected range, lines of one or two
points get markers, and an empty chart says why."""

from __future__ import annotations

import json

from components import figures, reports

RANGE = {"start": "2026-12-01T02:00:00Z", "end": "2026-12-01T03:00:00Z"}


def _point(time, **counts):
    return {"time": time, **{t: counts.get(t, 0) for t in reports.OUTBOUND_AREA}}


def _layout_json(fig) -> dict:
    return json.loads(fig.to_json())


def test_one_bucket_throughput_spans_the_range_with_markers():
    data = {"range": RANGE, "series": [_point("2026-12-01T02:59:00Z", delivered=3)]}
    fig = _layout_json(reports.throughput_figure(data, "outbound", reports.OUTBOUND_AREA, "light"))
    assert fig["layout"]["xaxis"]["range"] == ["2026-12-01T02:00:00", "2026-12-01T03:00:00"]
    assert fig["layout"]["xaxis"]["type"] == "date"
    assert {t["mode"] for t in fig["data"]} == {"lines+markers"}


def test_many_points_draw_plain_lines_and_few_get_markers():
    rows = [{"time": f"2026-12-01T02:{m:02d}:00Z", "node": "mta-01", "value": m} for m in range(10)]
    rows.append({"time": "2026-12-01T02:30:00Z", "node": "mta-02", "value": 4})
    fig = figures.lines(reports.series_frame(rows), "time", "value", "node", "dark",
                        x_range=reports.span({"range": RANGE}))
    assert {t.name: t.mode for t in fig.data} == {"mta-01": "lines", "mta-02": "lines+markers"}


def test_single_point_trends_are_visible_and_span_the_range():
    sizes = {"range": RANGE, "histogram": [{"bracket": "<10 KB", "events": 1}],
             "trend": [{"time": "2026-12-01T02:59:59Z", "avg_bytes": 4096}]}
    _bars, trend = reports.size_figures(sizes, "light")
    assert trend.data[0].mode == "lines+markers" and list(trend.data[0].y) == [4.0]
    # before: Plotly zoomed to a millisecond around the only point ("02:59:59.999 ... 03:00:00.0005")
    assert _layout_json(trend)["layout"]["xaxis"]["range"] == ["2026-12-01T02:00:00", "2026-12-01T03:00:00"]


def test_empty_series_say_why():
    data = {"range": RANGE, "series": []}
    fig = reports.throughput_figure(data, "inbound", ("received",), "light")
    assert fig.data == () and fig.layout.annotations[0].text == "No inbound events in this range"
    sizes = {"range": RANGE, "histogram": [], "trend": []}
    assert reports.size_figures(sizes, "light")[1].layout.annotations[0].text == "No sized messages in this range"
    nodes = {"range": RANGE, "series": []}
    assert reports.node_figure(nodes, "delivered", "light").layout.annotations[0].text == \
        "No delivered events in this range"


def test_span_reads_offsets_as_utc():
    start, end = reports.span({"range": {"start": "2026-12-01T04:00:00+02:00", "end": "2026-12-01T03:00:00Z"}})
    assert (start.isoformat(), end.isoformat()) == ("2026-12-01T02:00:00", "2026-12-01T03:00:00")
