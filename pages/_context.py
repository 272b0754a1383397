"""Glue every page callback shares: URL -> Filters, one database connection per callback, and the error banner.

A failure to reach PostgreSQL or Redis becomes a visible banner (and the charts keep their last figures) instead of
a traceback or a silently frozen chart; a bad URL parameter becomes a banner that says which.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dash import set_props
from flask import current_app, g
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError

from components.urlstate import filter_args, view_state
from store import db
from store.filters import FilterError, Filters

log = logging.getLogger(__name__)


def filters(search: str | None, **extra: str) -> Filters:
    """The Filters of the page URL (global range plus page-specific keys). Never raises: what the URL gets wrong
    falls back to the default view and is reported in the banner (see `clear_error`)."""
    state = view_state(search)
    problems = list(state["problems"])
    given = {k: v for k, v in extra.items() if v}
    try:
        result = Filters.from_query(filter_args(state) | given)
    except FilterError as exc:
        problems.append(f"Ignored the view parameters ({exc}); showing the last 24 hours")
        result = Filters.from_query(given)  # the pages' own keys are constants (direction): always valid
    g.view_problems = problems
    if problems:
        show_error("; ".join(problems))
    return result


def theme_of(theme: str | None) -> str:
    """A valid theme name."""
    return "dark" if theme == "dark" else "light"


def redis_conn():
    """The web process's Redis client."""
    return current_app.extensions["redis"]


def load(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run fn(conn, *args) on a fresh connection; on failure show the banner and return None."""
    try:
        with db.engine().connect() as conn:
            result = fn(conn, *args, **kwargs)
    except FilterError as exc:
        show_error(f"Invalid view parameters: {exc}")
        return None
    except (SQLAlchemyError, RedisError, OSError) as exc:
        log.warning("page query %s failed: %s", getattr(fn, "__name__", fn), exc)
        show_error("The database is unreachable right now; the charts show their last data. Retrying on the next "
                   "refresh.")
        return None
    return result


def show_error(message: str) -> None:
    """Open the global error banner."""
    set_props("shell-alert", {"is_open": True, "children": message})


def clear_error() -> None:
    """Close the banner once data flows again, unless this URL's parameters were ignored: then say so."""
    problems = getattr(g, "view_problems", None)
    if problems:
        show_error("; ".join(problems))
    else:
        set_props("shell-alert", {"is_open": False})
