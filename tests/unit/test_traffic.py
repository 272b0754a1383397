"""Demo traffic timing: Poisson arrivals keep the rate but give each message its own timestamp (issue 15, item 6)."""

from __future__ import annotations

import itertools
import random
import statistics

import pytest

from tools import send
from tools.traffic import arrivals


def test_arrivals_keep_the_rate_and_spread_over_the_interval():
    times = list(itertools.islice(arrivals(random.Random(7), 1_000_000, 20.0), 20_000))
    assert times == sorted(times) and times[0] > 1_000_000
    span_s = (times[-1] - 1_000_000) / 1000
    assert len(times) / span_s == pytest.approx(20.0, rel=0.03)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    # exponential gaps: mean ~ standard deviation (a fixed tick would give sd ~ 0)
    assert statistics.mean(gaps) == pytest.approx(50, rel=0.03)
    assert statistics.pstdev(gaps) == pytest.approx(50, rel=0.06)
    # at 20/s two messages share a millisecond only rarely
    assert len(set(times)) > 0.97 * len(times)


def test_arrivals_refuse_a_rate_that_is_not_positive():
    with pytest.raises(ValueError, match="per_second"):
        next(arrivals(random.Random(1), 0, 0))


class _Collector:
    """Stands in for the HTTP poster: records each batch (the timing logic under test is pure)."""

    def __init__(self):
        self.events: list[dict] = []

    def post(self, events):
        self.events += events
        return 202, {"queued": len(events)}


def test_live_sender_posts_messages_with_their_own_timestamps():
    collector = _Collector()
    accepted = send.live(collector, rate=110.0, seconds=2.0, batch=100, seed=3)
    starts = [e["timestamp"] for e in collector.events if e["event_type"] in ("received", "rejected", "greylisted")]
    assert accepted == len(collector.events) and len(starts) >= 40
    # before the fix, every message of a one-second tick shared one timestamp (~50 per value)
    assert len(set(starts)) >= 0.9 * len(starts)
    assert max(starts) - min(starts) >= 500  # spread over the ticks, not one instant per tick
