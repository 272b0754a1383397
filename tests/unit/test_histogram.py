"""Percentiles and brackets from delivery-time histograms built with the writer's own binning (store.rollups)."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from store import histogram
from store.rollups import DT_BINS, DT_RATIO, dt_bin


def hist_of(values) -> np.ndarray:
    counts = np.zeros(DT_BINS, np.int64)
    for v in values:
        counts[dt_bin(v)] += 1
    return counts


def nearest_rank(values, p):
    ordered = sorted(values)
    return ordered[max(1, math.ceil(p * len(ordered) / 100)) - 1]


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("p", [50, 90, 95, 99, 99.9])
def test_percentile_within_4_percent_of_exact(seed, p):
    rng = random.Random(seed)
    values = [int(rng.lognormvariate(7.2, 1.4)) + 1 for _ in range(rng.randrange(1, 5000))]
    exact = nearest_rank(values, p)
    assert abs(histogram.percentile(hist_of(values), p) - exact) <= 0.04 * exact


def test_empty_histogram_has_no_percentiles():
    assert histogram.percentiles(None) == {"p50": None, "p95": None, "p99": None}
    assert histogram.percentile([0] * DT_BINS, 95) is None


def test_sub_millisecond_and_open_last_bin():
    assert histogram.percentile(hist_of([0, 0, 0]), 50) == 0.5
    assert histogram.percentile(hist_of([10**12]), 50) == pytest.approx(DT_RATIO ** (DT_BINS - 2), rel=1e-3)


def test_brackets_count_exactly_at_the_reported_edges():
    rng = random.Random(3)
    values = [int(rng.lognormvariate(8.5, 2.0)) for _ in range(20000)]
    out = histogram.brackets(hist_of(values))
    assert [b["bracket"] for b in out] == ["<1s", "1-3s", "3-10s", "10-30s", "30s-1m", "1-5m", ">5m"]
    assert sum(b["events"] for b in out) == len(values)
    for b in out:
        low, high = b["from_ms"], b["to_ms"] or math.inf
        assert b["events"] == sum(low <= v < high for v in values), b
    nominal = [1000, 3000, 10000, 30000, 60000, 300000]
    assert all(abs(b["to_ms"] / n - 1) < 0.04 for b, n in zip(out, nominal, strict=False))


def test_size_brackets():
    out = histogram.size_brackets([1, 2, 3, 4, 5, 6])
    assert [b["events"] for b in out] == [1, 2, 3, 4, 5, 6]
    assert out[0]["to_bytes"] == 10 * 1024 and out[-1]["to_bytes"] is None


def array_send(values, null_at=None) -> bytes:
    """PostgreSQL's binary int4[] form (what array_send returns)."""
    import struct

    out = struct.pack(">iiiii", 1, int(null_at is not None), 23, len(values), 1)
    for i, v in enumerate(values):
        out += struct.pack(">i", -1) if i == null_at else struct.pack(">ii", 4, v)
    return out


def test_decode_and_sum_binary_arrays():
    a, b = list(range(DT_BINS)), [2] * DT_BINS
    assert histogram.decode(array_send(a)).tolist() == a
    assert histogram.decode(array_send([5, 6, 7], null_at=1)).tolist() == [5, 0, 7]
    assert histogram.decode(None).sum() == 0
    summed = histogram.sum_by_key([("x", array_send(a)), ("x", array_send(b)), ("y", None), ("z", array_send(b))])
    assert summed["x"].tolist() == [v + 2 for v in a] and "y" not in summed and summed["z"].sum() == 2 * DT_BINS
