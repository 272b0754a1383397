"""The alert state machine: fire at the threshold, resolve only after 3 clear evaluations below 80 % of it, and
report each transition exactly once."""

from __future__ import annotations

from workers.alert_state import RESOLVE_AFTER, RESOLVE_RATIO, step


def run(values: list[float | None], threshold: float = 10.0) -> list[str | None]:
    """The transitions a sequence of evaluations produces, starting from ok."""
    state, streak, out = "ok", 0, []
    for value in values:
        state, streak, transition = step(state, streak, value, threshold)
        out.append(transition)
    return out


def test_fires_at_the_threshold_not_below():
    assert step("ok", 0, 9.999, 10.0).transition is None
    assert step("ok", 0, 10.0, 10.0) == ("firing", 0, "firing")


def test_no_data_never_fires():
    assert step("ok", 0, None, 10.0) == ("ok", 0, None)


def test_one_transition_per_change_however_long_it_lasts():
    transitions = run([12, 15, 20, 11, 13])
    assert transitions == ["firing", None, None, None, None]


def test_resolves_after_consecutive_clear_evaluations():
    clear = 10.0 * RESOLVE_RATIO - 0.01
    transitions = run([12] + [clear] * RESOLVE_AFTER + [clear])
    assert transitions == ["firing"] + [None] * (RESOLVE_AFTER - 1) + ["resolved", None]


def test_hovering_between_80_and_100_percent_keeps_firing_and_restarts_the_count():
    clear, hover = 10.0 * RESOLVE_RATIO - 0.01, 10.0 * RESOLVE_RATIO
    values = [12] + [clear] * (RESOLVE_AFTER - 1) + [hover] + [clear] * (RESOLVE_AFTER - 1)
    assert [t for t in run(values) if t] == ["firing"]
    assert [t for t in run(values + [clear]) if t] == ["firing", "resolved"]


def test_no_data_counts_as_clear_so_a_stopped_flow_resolves():
    assert run([12] + [None] * RESOLVE_AFTER)[-1] == "resolved"


def test_flapping_around_the_threshold_notifies_once():
    values = [10, 9.5, 10, 9.5, 10, 9.5, 10]  # every other one at the threshold, never below 80 %
    assert [t for t in run(values) if t] == ["firing"]
