"""Glue every page callback shares: URL -> Filters, one database connection per callback, and the error banner.

A failure to reach PostgreSQL or Redis becomes a visible banner (and the charts keep their last figures) instead of
a traceback or a silently frozen chart; a bad URL parameter becomes a banner that says which.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from dash import set_props
from flask import current_app
from redis import RedisError
from sqlalchemy.exc import SQLAlchemyError

from components.urlstate import filter_args, view_state
from store import db
from store.filters import FilterError, Filters

log = logging.getLogger(__name__)


def filters(search: str | None, **extra: str) -> Filters:
    """The Filters of the page URL (global range plus page-specific keys)."""
    return Filters.from_query(filter_args(view_state(search)) | {k: v for k, v in extra.items() if v})


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
    """Close the banner once data flows again."""
    set_props("shell-alert", {"is_open": False})
