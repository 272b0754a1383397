"""The application factory: one Flask server carrying the Dash pages, the ingest and query blueprints and /healthz.

Only this module knows that these parts share a server; each of them can be tested on its own.
"""

from __future__ import annotations

import logging
import os

import dash
import redis
from dash import _callback
from flask import Flask, current_app, g, has_request_context, request

import api
import ingest
from api import alerts as alerts_api
from api import health, metrics, realtime
from api import queue as queue_api
from components import shell, urlstate  # noqa: F401  (urlstate registers the shell callbacks)
from config import ConfigError, Settings
from ingest import gate
from store import db
from webauth import guard, init_auth, init_headers, views

log = logging.getLogger(__name__)


def create_app(settings: Settings | None = None) -> Flask:
    """Build the Flask server (with Dash mounted on it) for the given or environment settings."""
    server = _base(settings)
    settings = server.extensions["settings"]
    server.register_blueprint(queue_api.bp)
    init_auth(server, settings)  # the gate runs before every view registered below
    server.register_blueprint(ingest.bp)
    server.register_blueprint(api.bp)
    server.register_blueprint(alerts_api.bp)
    server.register_blueprint(metrics.bp)
    realtime.init_realtime(server)
    init_headers(server, settings, _mount_dash(server))
    return server


def create_ingest_app(settings: Settings | None = None) -> Flask:
    """The same server limited to ingest (events, heartbeats) and /healthz: the Procfile's `ingest` process, which
    a load balancer can give /api/v1/events/ so no dashboard work ever shares its processes."""
    server = _base(settings)
    server.register_blueprint(ingest.bp)
    return server


def _base(settings: Settings | None) -> Flask:
    settings = settings or Settings.from_env(os.environ)
    if not settings.secret_key:
        raise ConfigError(["SECRET_KEY is required to serve the web app (the launcher makes one in embedded mode)"])
    if not settings.database_url or not settings.redis_url:
        raise ConfigError(["DATABASE_URL and REDIS_URL are required (run.py starts embedded servers when unset)"])
    settings.configure_logging()
    server = Flask(__name__)
    server.config.update(SECRET_KEY=settings.secret_key)
    server.extensions["settings"] = settings
    server.extensions["redis"] = redis.Redis.from_url(settings.redis_url, health_check_interval=30)
    server.extensions["ingest_gate"] = gate.Gate(server.extensions["redis"])
    db.init_engine(settings)
    server.register_blueprint(health.bp)
    return server


def _mount_dash(server: Flask) -> dash.Dash:
    app = dash.Dash(
        __name__,
        server=server,
        use_pages=True,
        pages_folder="pages",
        title="Mailflow",
        update_title=None,
        suppress_callback_exceptions=True,
    )
    app.layout = _layout
    _own_callbacks(app)
    return app


# Every dash.callback registration seen in this process, by output (a page module registers again, with fresh
# functions, each time a Dash app imports the pages folder; the component modules register once, at import).
_SPECS: dict[str, dict] = {}
_FUNCTIONS: dict[str, dict] = {}
_SCRIPTS: list[str] = []


def _own_callbacks(app: dash.Dash) -> None:
    """Give this Dash app its own copy of the callbacks the page and component modules registered with
    `dash.callback`. Dash keeps those in module globals that the first app to serve a request takes and clears, so
    a second app in the process (tests build several) would miss the component callbacks, and the first could get
    the pages' twice."""
    _SPECS.update((spec["output"], spec) for spec in _callback.GLOBAL_CALLBACK_LIST)
    _FUNCTIONS.update(_callback.GLOBAL_CALLBACK_MAP)
    _SCRIPTS.extend(s for s in _callback.GLOBAL_INLINE_SCRIPTS if s not in _SCRIPTS)
    for registry in (_callback.GLOBAL_CALLBACK_LIST, _callback.GLOBAL_CALLBACK_MAP, _callback.GLOBAL_INLINE_SCRIPTS):
        registry.clear()
    # Dash has no public API for this: these are the structures its _setup_server fills from the globals
    app._callback_list.extend(dict(spec) for spec in _SPECS.values())
    app.callback_map.update({output: dict(entry) for output, entry in _FUNCTIONS.items()})
    app._inline_scripts.extend(_SCRIPTS)


def _layout():
    # the shell shows who is logged in, the logout button and, for admins, the admin page
    # Dash also builds it once outside any page: at start, or on a process's first request, which may be ingest's
    if not has_request_context() or request.path.startswith(guard.SESSIONLESS_PREFIXES):
        return shell.layout()
    who = getattr(g, "identity", None)
    return shell.layout(user=who.name if who and who.kind == "user" else None,
                        is_admin=bool(who and who.is_admin), csrf=views.csrf_token(),
                        demo=current_app.extensions["settings"].demo)
