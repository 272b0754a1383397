"""Filters.from_query: defaults, presets, explicit ranges, resolution choice, bucket snapping and validation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from store.filters import FilterError, Filters, resolution_for

NOW = datetime(2026, 11, 28, 9, 47, 31, 250000, tzinfo=UTC)


def test_default_is_24h_at_hourly_buckets_ending_after_now():
    f = Filters.from_query({}, now=NOW)
    assert (f.resolution, f.bucket_seconds) == ("1h", 3600)
    assert f.end == datetime(2026, 11, 28, 10, tzinfo=UTC)
    assert f.start == datetime(2026, 11, 27, 10, tzinfo=UTC)
    assert len(f.buckets()) == 24


@pytest.mark.parametrize("name, resolution, buckets, end", [
    ("1h", "5m", 12, datetime(2026, 11, 28, 9, 50, tzinfo=UTC)),
    ("6h", "1h", 6, datetime(2026, 11, 28, 10, tzinfo=UTC)),
    ("7d", "1h", 168, datetime(2026, 11, 28, 10, tzinfo=UTC)),
    ("30d", "1d", 30, datetime(2026, 11, 29, tzinfo=UTC)),
])
def test_presets_pick_resolution_and_whole_buckets(name, resolution, buckets, end):
    f = Filters.from_query({"range": name}, now=NOW)
    assert (f.resolution, len(f.buckets()), f.end) == (resolution, buckets, end)
    assert f.start.timestamp() % f.bucket_seconds == 0


@pytest.mark.parametrize("hours, resolution", [(1, "5m"), (5.99, "5m"), (6, "1h"), (168, "1h"), (168.01, "1d")])
def test_resolution_boundaries(hours, resolution):
    assert resolution_for(timedelta(hours=hours)) == resolution


def test_explicit_range_is_widened_to_whole_buckets():
    to = int(datetime(2026, 11, 27, 3, 0, 0, 1000, tzinfo=UTC).timestamp() * 1000)
    f = Filters.from_query({"from": "2026-11-19T10:15:00+02:00", "to": str(to)}, now=NOW)
    assert f.resolution == "1d"
    assert (f.start, f.end) == (datetime(2026, 11, 19, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC))
    f = Filters.from_query({"from": "2026-11-27T10:15:00Z", "to": "2026-11-28T04:00:00Z"}, now=NOW)
    assert (f.resolution, f.start, f.end) == ("1h", datetime(2026, 11, 27, 10, tzinfo=UTC),
                                              datetime(2026, 11, 28, 4, tzinfo=UTC))


def test_explicit_range_kept_exact_without_snap():
    f = Filters.from_query({"from": "2026-11-28T01:02:03.456Z", "to": "2026-11-28T02:00:00Z"}, now=NOW, snap=False)
    assert f.start == datetime(2026, 11, 28, 1, 2, 3, 456000, tzinfo=UTC)
    assert f.resolution == "5m"


def test_filters_and_params():
    f = Filters.from_query({"range": "1h", "direction": "outbound", "node": "mta-01", "zone": "bulk"}, now=NOW)
    params = f.params()
    assert (params["direction"], params["node"], params["zone"], params["dim"]) == ("outbound", "mta-01", "bulk", None)
    assert f.dimension() is None
    g = Filters.from_query({"domain": "GMail.com"}, now=NOW)
    assert g.dimension() == ("domain", "gmail.com") and g.params()["key"] == "gmail.com"


@pytest.mark.parametrize("args, message", [
    ({"range": "2h"}, "range must be one of"),
    ({"range": "1h", "from": "2026-11-28T00:00:00Z"}, "not both"),
    ({"to": "2026-11-28T00:00:00Z"}, "to needs from"),
    ({"from": "2026-11-28"}, "RFC 3339"),
    ({"from": "2026-11-28T00:00:00"}, "RFC 3339"),
    ({"from": "2026-11-28T00:00:00Z", "to": "2026-11-27T00:00:00Z"}, "before"),
    ({"from": "1990-01-01T00:00:00Z"}, "between"),
    ({"from": "2024-01-01T00:00:00Z"}, "at most"),
    ({"direction": "both"}, "direction"),
    ({"node": ""}, "printable"),
    ({"zone": "a\nb"}, "printable"),
    ({"domain": "x" * 256}, "printable"),
])
def test_invalid_parameters_raise_filter_error(args, message):
    with pytest.raises(FilterError, match=message):
        Filters.from_query(args, now=NOW)


@pytest.mark.parametrize("args", [{"domain": "a", "provider": "b"}, {"domain": "a", "node": "n"},
                                  {"provider": "p", "zone": "z"}])
def test_dimension_rejects_filters_no_rollup_can_honour(args):
    with pytest.raises(FilterError):
        Filters.from_query(args, now=NOW).dimension()


def test_pieces_cover_the_range_with_the_coarsest_whole_buckets():
    f = Filters.from_query({"range": "7d"}, now=NOW)
    pieces = [(p.start, p.end, p.resolution) for p in f.pieces()]
    assert pieces == [(f.start, datetime(2026, 11, 22, tzinfo=UTC), "1h"),
                      (datetime(2026, 11, 22, tzinfo=UTC), datetime(2026, 11, 28, tzinfo=UTC), "1d"),
                      (datetime(2026, 11, 28, tzinfo=UTC), f.end, "1h")]
    g = Filters.from_query({"from": "2026-11-28T03:55:00Z", "to": "2026-11-28T05:05:00Z"}, now=NOW)
    assert [p.resolution for p in g.pieces()] == ["5m", "1h", "5m"]
    assert [(p.start, p.end) for p in Filters.from_query({"range": "24h"}, now=NOW).pieces()] == [
        (datetime(2026, 11, 27, 10, tzinfo=UTC), datetime(2026, 11, 28, 10, tzinfo=UTC))]
