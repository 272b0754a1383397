"""GET /healthz: 200 when PostgreSQL and Redis answer and every migration is applied, 503 otherwise.

Load balancers and the launcher poll it; the body says which part is unhealthy so an operator need not guess.
"""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from store import db, migrate

bp = Blueprint("health", __name__)


def _check_postgres() -> str:
    try:
        missing = migrate.pending(db.engine())
    except Exception as exc:  # any failure to reach or read the database is "unhealthy", with its reason
        return f"error: {type(exc).__name__}: {str(exc)[:200]}"
    return "ok" if not missing else "migrations pending: " + ", ".join(missing)


def _check_redis() -> str:
    try:
        current_app.extensions["redis"].ping()
    except Exception as exc:  # as above: report, never raise, from a health check
        return f"error: {type(exc).__name__}: {str(exc)[:200]}"
    return "ok"


@bp.get("/healthz")
def healthz():
    """Report PostgreSQL (with migration state) and Redis health."""
    checks = {"postgres": _check_postgres(), "redis": _check_redis()}
    healthy = all(value == "ok" for value in checks.values())
    return jsonify(status="ok" if healthy else "unhealthy", **checks), 200 if healthy else 503
