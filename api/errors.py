"""JSON errors for the query API: 400 for any bad parameter, 503 when a query ran out of time, HTTP errors as JSON."""

from __future__ import annotations

import logging

from flask import jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from api import bp
from store.filters import FilterError

log = logging.getLogger(__name__)
QUERY_CANCELED = "57014"


def error_response(status: int, message: str):
    """A JSON error body {"error": message} with the status."""
    return jsonify(error=message), status


@bp.errorhandler(FilterError)
def bad_parameter(exc: FilterError):
    return error_response(400, str(exc))


@bp.errorhandler(HTTPException)
def http_error(exc: HTTPException):
    return error_response(exc.code or 500, exc.description or exc.name)


@bp.errorhandler(Exception)
def unexpected_error(exc: Exception):
    log.exception("query API failure")
    return error_response(500, "internal error")


@bp.errorhandler(OperationalError)
def database_error(exc: OperationalError):
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return error_response(503, "the query took too long; narrow the time range or the search")
    log.exception("query failed")
    return error_response(503, "the database is unavailable")
