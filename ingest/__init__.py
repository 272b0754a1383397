"""The HTTP edge for events: authenticate, validate, buffer in Redis. Never touches PostgreSQL."""

from flask import Blueprint, Response

bp = Blueprint("ingest", __name__, url_prefix="/api/v1/events")


@bp.after_request
def _machine_headers(response: Response) -> Response:
    # JSON for machines: never sniffed as anything else, never cached; the pages' policy headers do not apply here
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = "no-store"
    return response


from ingest import heartbeat, routes  # noqa: E402,F401  (register their routes on bp)
