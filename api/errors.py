"""JSON errors for the query API: 400 for any bad parameter, 503 when a query ran out of time, HTTP errors as JSON."""

from __future__ import annotations

import logging

from flask import Blueprint, jsonify
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from api import bp
from store.filters import FilterError

log = logging.getLogger(__name__)
QUERY_CANCELED = "57014"


def error_response(status: int, message: str, errors: list[dict] | None = None):
    """A JSON error body {"error": message} (and the per-field `errors` when given) with the status."""
    return jsonify({"error": message} | ({"errors": errors} if errors is not None else {})), status


def json_errors(blueprint: Blueprint, what: str) -> None:
    """Answer a blueprint's HTTP errors and unexpected failures as JSON (logged as `what` failures)."""

    @blueprint.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        return error_response(exc.code or 500, exc.description or exc.name)

    @blueprint.errorhandler(Exception)
    def unexpected_error(exc: Exception):
        log.exception("%s failure", what)
        return error_response(500, "internal error")


json_errors(bp, "query API")


@bp.errorhandler(FilterError)
def bad_parameter(exc: FilterError):
    return error_response(400, str(exc))


@bp.errorhandler(OperationalError)
def database_error(exc: OperationalError):
    if getattr(exc.orig, "sqlstate", None) == QUERY_CANCELED:
        return error_response(503, "the query took too long; narrow the time range or the search")
    log.exception("query failed")
    return error_response(503, "the database is unavailable")
