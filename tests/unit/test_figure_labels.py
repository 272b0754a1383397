"""Every figure builder escapes the data values it turns into text (issue 12, item 3): no markup reaches Plotly."""

import pandas as pd

from components import figures, queueview, reports

LINK = '<a href="https://evil.example/x">x</a>'


def _no_markup(fig) -> None:
    text = fig.to_json()
    assert "<a" not in text and "<b>" not in text
    assert "&lt;a href" in text  # the value is still there, shown literally


def test_label_escapes_markup_only():
    assert figures.label(LINK) == '&lt;a href="https://evil.example/x"&gt;x&lt;/a&gt;'
    assert figures.label("a & b") == "a &amp; b" and figures.label("mta-01") == "mta-01"


def test_lines_legend_names_are_escaped_and_clicks_keep_the_raw_key():
    frame = pd.DataFrame({"time": pd.to_datetime(["2026-11-28T00:00Z"] * 2), "value": [1, 2],
                          "node": [LINK, "mta-01"]})
    fig = figures.lines(frame, "time", "value", "node", "light")
    assert sorted(t.name for t in fig.data) == [figures.label(LINK), "mta-01"]
    assert {t.customdata[0] for t in fig.data} == {LINK, "mta-01"}  # drill-down filters by the stored value


def test_bars_pie_and_node_figures_escape_their_labels():
    _no_markup(figures.hbar([LINK, "<b>bold</b>"], [3, 1], "light", text=[LINK, "1"]))
    _no_markup(figures.pie([LINK], [1], "dark"))
    _no_markup(figures.grouped_hbar([LINK, "gmail"], [("<b>avg</b>", [1.0, 2.0]), ("P99", [None, 3.0])], "light"))
    _no_markup(figures.bars_with_line([LINK], [4], None, "light", bar_name="<b>n</b>"))
    _no_markup(reports.bars_of([{"key": LINK, "failures": 2}], "light"))
    _no_markup(queueview.node_bars([{"node": LINK, "stale": True, "total": 5}], "light"))
    data = {"range": {"start": "2026-11-28T00:00:00Z", "end": "2026-11-28T01:00:00Z"},
            "series": [{"node": LINK, "points": [{"time": "2026-11-28T00:00:00Z", "delivered": 3}]}]}
    fig = reports.node_figure(data, "delivered", "light")
    assert fig.data[0].name.startswith("&lt;a") and fig.data[0].customdata[0] == LINK
