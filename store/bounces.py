"""Bounce analysis from the per-dimension rollups: failures by ZoneMTA category, by reason class, by destination
domain and provider, the top normalised SMTP responses, hard vs soft, and the share without a category.

Failures are pipeline.vocabulary.FAILURES (deferred, bounced, rejected, greylisted): the types the writer files by
category, reason and response. A dropped event is not a failure (see the vocabulary's docstring).
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from pipeline.vocabulary import FAILURES
from store import queries
from store.breakdown import groups
from store.filters import FilterError, Filters

DIMS = ("category", "reason", "domain", "provider", "response")


def _failure_rows(by_key: dict, limit: int | None) -> list[dict]:
    rows = []
    for key, g in by_key.items():
        failures = sum(g.counts[t] for t in FAILURES)
        if failures:
            rows.append({"key": key or None, "failures": failures, **{t: g.counts[t] for t in FAILURES},
                         "delivered": g.counts["delivered"],
                         "bounce_rate": _rate(g.counts["bounced"], g.counts["bounced"] + g.counts["delivered"])})
    rows.sort(key=lambda r: (-r["failures"], r["key"] or ""))
    return rows if limit is None else rows[:limit]


def _rate(n: int, d: int) -> float | None:
    return round(n / d, 4) if d else None


def bounce_analysis(conn: Connection, f: Filters, limit: int = 10) -> dict:
    """All bounce-analysis tables in one scan of email_dim_* (direction filter only)."""
    if any(v is not None for v in (f.mta_node, f.zone, f.to_domain, f.provider)):
        raise FilterError("bounce-analysis reads the per-dimension rollups: only the direction filter applies")
    rows = queries.rows_over(conn, "breakdown_dims", f.pieces(), "email_dim", {"dims": list(DIMS)})
    per_dim = {dim: groups(r[1:] for r in rows if r[0] == dim) for dim in DIMS}
    categories = per_dim["category"]
    counts = {t: sum(g.counts[t] for g in categories.values()) for t in FAILURES}
    failures = sum(counts.values())
    none = sum(categories[""].counts[t] for t in FAILURES) if "" in categories else 0
    return {"range": f.describe(), "failures": counts,
            "hard_vs_soft": {"hard": counts["bounced"], "soft": counts["deferred"],
                             "hard_share": _rate(counts["bounced"], counts["bounced"] + counts["deferred"])},
            "uncategorised": {"events": none, "share": _rate(none, failures)},
            "by_category": _failure_rows(categories, None), "by_reason": _failure_rows(per_dim["reason"], None),
            "by_domain": _failure_rows(per_dim["domain"], limit),
            "by_provider": _failure_rows(per_dim["provider"], limit),
            "top_responses": _failure_rows(per_dim["response"], limit)}
