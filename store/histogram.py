"""Delivery-time histogram math on summed `dt_hist` arrays (bin geometry in store.rollups): percentiles, brackets.

Bin 0 holds [0, 1) ms and bin i holds [1.08^(i-1), 1.08^i) ms. A percentile is reported as the geometric middle of
the bin holding the rank-th smallest value (rank = ceil(p/100 * n)), so it is within sqrt(1.08) - 1 = 3.9 % of the
exact nearest-rank value. Brackets cannot be exact at 1 s, 3 s ...: each edge is moved to the nearest bin boundary
(at most 3.9 % away; 1 s becomes 1011 ms), and the counts are then exact for those effective edges, which the API
reports next to the counts.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Iterable, Sequence

import numpy as np

from store.rollups import DT_BINS, DT_RATIO, SIZE_EDGES

PERCENTILES = (50, 95, 99)
BRACKETS = (("<1s", 1_000), ("1-3s", 3_000), ("3-10s", 10_000), ("10-30s", 30_000), ("30s-1m", 60_000),
            ("1-5m", 300_000), (">5m", None))
SIZE_LABELS = ("<10KB", "10-100KB", "100KB-1MB", "1-10MB", "10-25MB", ">25MB")


def as_array(hist: Sequence[int] | None, bins: int = DT_BINS) -> np.ndarray:
    """A histogram as an int64 vector (zeros for None)."""
    return np.zeros(bins, np.int64) if hist is None else np.asarray(hist, dtype=np.int64)


def total(hists: Iterable[Sequence[int] | None], bins: int = DT_BINS) -> np.ndarray:
    """Element-wise sum of histograms."""
    out = np.zeros(bins, np.int64)
    for hist in hists:
        if hist is not None:
            out += np.asarray(hist, dtype=np.int64)
    return out


def decode(sent: bytes | None, bins: int = DT_BINS) -> np.ndarray:
    """An int4[] in array_send's binary form (as the histogram queries return it) as an int64 vector."""
    if sent is None:
        return np.zeros(bins, np.int64)
    ndim, has_nulls, _oid = struct.unpack_from(">iii", sent)
    if ndim == 1 and not has_nulls:  # header of 5 int32, then (length 4, value) per element
        return np.frombuffer(sent, dtype=">i4", offset=20)[1::2].astype(np.int64)
    if ndim == 0:
        return np.zeros(bins, np.int64)
    count, = struct.unpack_from(">i", sent, 12)
    values, offset = [], 20
    for _ in range(count):
        length, = struct.unpack_from(">i", sent, offset)
        values.append(0 if length < 0 else struct.unpack_from(">i", sent, offset + 4)[0])
        offset += 4 + max(length, 0)
    return np.asarray(values, dtype=np.int64)


def sum_by_key(rows: Iterable[tuple]) -> dict:
    """{key: summed histogram} of (key, array_send bytes) rows."""
    out: dict = {}
    for key, sent in rows:
        if sent is not None:
            hist = decode(sent)
            if key in out:
                out[key] += hist
            else:
                out[key] = hist
    return out


def bin_value(i: int) -> float:
    """The value reported for bin i: its geometric middle (0.5 ms for bin 0, the lower edge for the open last bin)."""
    if i == 0:
        return 0.5
    if i >= DT_BINS - 1:
        return DT_RATIO ** (DT_BINS - 2)
    return DT_RATIO ** (i - 0.5)


def percentile(hist: Sequence[int] | np.ndarray | None, p: float) -> float | None:
    """The p-th percentile (nearest rank) in ms, None for an empty histogram."""
    counts = as_array(hist) if not isinstance(hist, np.ndarray) else hist
    n = int(counts.sum())
    if n == 0:
        return None
    rank = max(1, math.ceil(p * n / 100))
    return round(bin_value(int(np.searchsorted(np.cumsum(counts), rank))), 1)


def percentiles(hist, ps: Iterable[float] = PERCENTILES) -> dict[str, float | None]:
    """{'p50': ..., 'p95': ..., 'p99': ...} in ms."""
    counts = as_array(hist) if not isinstance(hist, np.ndarray) else hist
    return {f"p{p:g}": percentile(counts, p) for p in ps}


def edge_bin(ms: float) -> int:
    """The bin boundary nearest to ms: bins 0..k lie wholly below 1.08^k."""
    return round(math.log(ms) / math.log(DT_RATIO))


def brackets(hist) -> list[dict]:
    """Delivered counts per delivery-time bracket, with the effective edges in ms."""
    counts = as_array(hist) if not isinstance(hist, np.ndarray) else hist
    out, low_bin, low_ms = [], 0, 0.0
    for label, edge in BRACKETS:
        high_bin = DT_BINS - 1 if edge is None else edge_bin(edge)
        high_ms = None if edge is None else round(DT_RATIO ** high_bin, 1)
        out.append({"bracket": label, "from_ms": low_ms, "to_ms": high_ms,
                    "events": int(counts[low_bin:high_bin + 1].sum())})
        low_bin, low_ms = high_bin + 1, high_ms
    return out


def size_brackets(hist) -> list[dict]:
    """Counts per size bracket (exact: sizes are binned at these edges when written)."""
    counts = as_array(hist, len(SIZE_LABELS))
    bounds = (0, *SIZE_EDGES, None)
    return [{"bracket": label, "from_bytes": bounds[i], "to_bytes": bounds[i + 1], "events": int(counts[i])}
            for i, label in enumerate(SIZE_LABELS)]
