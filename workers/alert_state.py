"""The alert state machine (pure): `ok` -> `firing` -> `ok`, with hysteresis so a value hovering at the threshold
does not flap.

- A rule **fires** on the first evaluation whose value is at or above its threshold.
- A firing rule **resolves** only after RESOLVE_AFTER (3) consecutive evaluations whose value is below
  threshold x RESOLVE_RATIO (0.8), or has no data (a rate with fewer than `min_events` outcomes, a metric with
  nothing to measure). A value between 80 % and 100 % of the threshold keeps it firing and restarts the count.
- Each transition is reported once (`firing` or `resolved`); every other evaluation reports nothing, so one
  transition gives exactly one notification per channel.
"""

from __future__ import annotations

from typing import NamedTuple

RESOLVE_RATIO = 0.8
RESOLVE_AFTER = 3


class Step(NamedTuple):
    """The state after one evaluation, the clear-evaluation streak, and the transition (None: no change)."""

    state: str
    ok_streak: int
    transition: str | None


def step(state: str, ok_streak: int, value: float | None, threshold: float) -> Step:
    """Advance a rule by one evaluation of `value` (None: no data) against `threshold`."""
    breach = value is not None and value >= threshold
    if state != "firing":
        return Step("firing", 0, "firing") if breach else Step("ok", 0, None)
    if value is not None and value >= threshold * RESOLVE_RATIO:
        return Step("firing", 0, None)
    if ok_streak + 1 >= RESOLVE_AFTER:
        return Step("ok", 0, "resolved")
    return Step("firing", ok_streak + 1, None)
