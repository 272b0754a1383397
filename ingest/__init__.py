"""The HTTP edge for events: authenticate, validate, buffer in Redis. Never touches PostgreSQL."""

from flask import Blueprint

bp = Blueprint("ingest", __name__, url_prefix="/api/v1/events")

from ingest import heartbeat, routes  # noqa: E402,F401  (register their routes on bp)
