"""Read-only HTTP endpoints: /healthz (api.health, mounted at the root) and the JSON query API, blueprint `bp`
under /api/v1/email (api.routes) plus its OpenAPI document at /api/v1/openapi.json (api.openapi).

Authentication can wrap the whole query API with one `bp.before_request` hook.
"""

from flask import Blueprint

bp = Blueprint("api", __name__, url_prefix="/api/v1/email")

from api import errors, openapi, routes  # noqa: E402,F401  (modules register their handlers on bp)
