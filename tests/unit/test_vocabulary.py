"""Which event types are failures, pinned in the three places that decide it: the derived reason class, the
rollups' per-failure tables (category, reason, response) and bounce analysis. `dropped` is not a failure."""

import json

from ingest.schema import parse_events
from pipeline import row as layout
from pipeline.vocabulary import EVENT_TYPES, FAILURES
from store import bounces, breakdown, rollups

NOW = 1_796_000_000_000


def _rows(category: str | None) -> list[tuple]:
    """One event of every type, through the real validation and derivation."""
    events = [{"event_id": f"e-{t}", "event_type": t, "direction": "outbound", "timestamp": NOW - 60_000,
               "mta_node": "mta-01", "to_address": "bob@example.org", "smtp_response": "550 5.7.1 blocked",
               **({"bounce_category": category} if category else {})} for t in EVENT_TYPES]
    rows, rejected = parse_events(json.dumps(events).encode(), max_events=100, retention_days=30, now_ms=NOW)
    assert rejected == []
    return rows


def test_dropped_is_not_a_failure():
    assert "dropped" in EVENT_TYPES and "dropped" not in FAILURES
    assert set(FAILURES) == {"deferred", "bounced", "rejected", "greylisted"}


def test_derivation_gives_a_reason_class_to_failures_only():
    classes = {r[layout.EVENT_TYPE]: r[layout.REASON_CLASS] for r in _rows(None)}
    assert {t for t, c in classes.items() if c is not None} == set(FAILURES)
    # a category the MTA gave is classified whatever the type (an inbound virus drop says why it was dropped)
    assert {r[layout.REASON_CLASS] for r in _rows("virus")} == {"content"}


def test_rollups_file_failures_by_category_reason_and_response():
    _stats, dims = rollups.deltas(_rows("spam"))["5m"]
    for dim in ("category", "reason", "response"):
        assert {key[3] for key in dims if key[1] == dim} == set(FAILURES), dim
    assert {key[3] for key in dims if key[1] == "domain"} == set(EVENT_TYPES)


def test_bounce_analysis_counts_failures_only():
    counts = {t: 10 + i for i, t in enumerate(EVENT_TYPES)}  # distinct numbers, so a wrong sum shows
    groups = breakdown.groups([("spam", t, n, 0, 0, 0) for t, n in counts.items()])
    groups |= breakdown.groups([("dropped-only", "dropped", 5, 0, 0, 0)])
    rows = bounces._failure_rows(groups, None)
    assert [r["key"] for r in rows] == ["spam"]
    assert rows[0]["failures"] == sum(counts[t] for t in FAILURES)
    assert "dropped" not in rows[0]
