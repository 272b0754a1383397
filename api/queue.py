"""GET /api/v1/email/queue: the live ZoneMTA queue across nodes (cached by the poller, docs/queue.md) with each
node's staleness, plus the queue-size trend at poll resolution for the sparkline.

It never calls a ZoneMTA node itself: pages refresh often, and the poller already holds what they need.
"""

from __future__ import annotations

import logging

from flask import Blueprint, current_app, jsonify, request

from store import db, queues

bp = Blueprint("queue_api", __name__, url_prefix="/api/v1/email")
log = logging.getLogger(__name__)
TREND_MINUTES = 60
MAX_TREND_MINUTES = 24 * 60


def _empty(nodes: list[str]) -> dict:
    return {"polled_at": None, "poll_seconds": queues.POLL_SECONDS, "stale": False, "stale_nodes": [],
            "configured_nodes": nodes, "nodes": [], "zones": [], "ages": [], "ages_approximate": False,
            "oldest": None, "deferred_reasons": [], "totals": {"active": 0, "deferred": 0, "total": 0},
            "message": "no queue data yet: no node has been polled (is ZONEMTA_NODES set and the scheduler running?)"}


def _trend(minutes: int) -> list[dict] | None:
    try:
        with db.engine().connect() as conn:
            return queues.trend(conn, minutes)
    except Exception:  # the live numbers come from Redis; a database hiccup only hides the sparkline
        log.exception("queue trend query failed")
        return None


@bp.get("/queue")
def queue():
    """The queue aggregate (totals, per node with staleness, per zone, ages, oldest, deferral reasons) + trend."""
    minutes = request.args.get("trend_minutes", TREND_MINUTES, type=int)
    minutes = max(1, min(minutes or TREND_MINUTES, MAX_TREND_MINUTES))
    nodes = [name for name, _url in current_app.extensions["settings"].zonemta_nodes]
    body = queues.current(current_app.extensions["redis"], nodes) or _empty(nodes)
    body["trend"] = _trend(minutes)
    body["trend_minutes"] = minutes
    return jsonify(body)
