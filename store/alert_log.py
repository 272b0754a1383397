"""Alert history and notification delivery in PostgreSQL: one history row per state transition, one notification
row per channel of that transition (pending -> sent, or retrying -> failed), and the pruning of old history.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.engine import Connection

from store import queries

CHANNELS = ("webhook", "email")


def save_state(conn: Connection, rule_id: int, state: str, ok_streak: int, reading, changed: bool,
               now: datetime) -> None:
    """Store a rule's state after one evaluation (reading: value, observed, subject)."""
    queries.execute(conn, "alert_rule_save_state", {
        "id": rule_id, "state": state, "ok_streak": ok_streak, "value": reading.value, "observed": reading.observed,
        "subject": reading.subject, "changed": changed, "now": now})


def record(conn: Connection, rule: dict, transition: str, reading, now: datetime) -> int:
    """Add one history row for a rule's transition ("firing" or "resolved"); return its id."""
    return queries.execute(conn, "alert_history_insert", {
        "rule_id": rule["id"], "rule_name": rule["name"], "state": transition, "value": reading.value,
        "threshold": rule["threshold"], "subject": reading.subject, "at": now}).scalar_one()


def add_notifications(conn: Connection, history_id: int, targets: list[dict]) -> list[int]:
    """One pending notification per target ({"webhook": url} or {"email": address}); their ids."""
    ids = []
    for target in targets:
        (channel, address), = target.items()
        if channel in CHANNELS:
            ids.append(queries.execute(conn, "alert_notification_insert",
                                       {"history_id": history_id, "channel": channel, "target": address}).scalar_one())
    return ids


def notification(conn: Connection, notification_id: int) -> dict | None:
    """A notification with the transition and rule it reports, or None when it was pruned."""
    row = queries.execute(conn, "alert_notification_get", {"id": notification_id}).mappings().first()
    return dict(row) if row else None


def set_status(conn: Connection, notification_id: int, status: str, error: str | None = None) -> None:
    """Record one delivery attempt's outcome (sent, retrying or failed, with the error cut to 500 characters)."""
    queries.execute(conn, "alert_notification_status",
                    {"id": notification_id, "status": status, "error": error[:500] if error else None})


def history(conn: Connection, limit: int = 50) -> list[dict]:
    """The newest transitions with their notifications' outcome counts."""
    return [dict(r) for r in queries.execute(conn, "alert_history_recent", {"limit": limit}).mappings()]


def failed(conn: Connection, limit: int = 20) -> list[dict]:
    """Notifications that failed after their last retry, newest first."""
    return [dict(r) for r in queries.execute(conn, "alert_notifications_failed", {"limit": limit}).mappings()]


def prune(conn: Connection, cutoff: datetime) -> int:
    """Delete history (and its notifications) older than cutoff; return how many transitions went."""
    return queries.execute(conn, "alert_history_prune", {"cutoff": cutoff}).rowcount
