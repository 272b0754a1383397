"""The query API routes: parse and validate the query string (unknown, repeated or unsupported parameters are a
400), build Filters, run one store function on a pooled connection, return its JSON. Nothing here computes figures.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

from flask import jsonify, request

from api import bp, csv_export
from api.errors import error_response
from pipeline.vocabulary import EVENT_TYPES
from store import bounces, breakdown, db, event_log, performance, traffic
from store.filters import FilterError, Filters, text_value

TIME = frozenset({"range", "from", "to"})
FILTERS = TIME | {"direction", "node", "zone", "domain", "provider"}
PARAMS = {
    "throughput": FILTERS | {"by"},
    "stats": FILTERS | {"by", "sort", "limit", "format"},
    "performance": FILTERS | {"limit"},
    "sizes": TIME | {"direction", "node", "zone"},
    "bounce-analysis": TIME | {"direction", "limit"},
    "summary": FILTERS,
    "events": FILTERS | {"type", "queue_id", "q", "ip", "sender", "cursor", "limit", "format"},
}
EXPORT_PAGE = 5000  # events per keyset page of a CSV export: one short query each, never one giant one
MAX_EXPORT_ROWS = 1_000_000
MAX_STATS_GROUPS = 100_000
EVENT_COLUMNS = ("event_id", "timestamp", "event_type", "direction", "mta_node", "queue_id", "seq", "message_id",
                 "zone", "from_address", "from_domain", "to_address", "to_domain", "local_ip", "remote_ip", "mx_host",
                 "smtp_code", "smtp_response", "enhanced_status", "bounce_category", "reason_class", "provider",
                 "message_size", "delivery_time_ms", "attempt", "tls", "spam_score")


def query_args(endpoint: str) -> dict[str, str]:
    """The query string as a dict; FilterError for a parameter the endpoint does not take, or a repeated one."""
    args = {}
    for name in request.args:
        if name not in PARAMS[endpoint]:
            raise FilterError(f"/{endpoint} does not take the parameter {name!r} "
                              f"(it takes: {', '.join(sorted(PARAMS[endpoint]))})")
        values = request.args.getlist(name)
        if len(values) > 1:
            raise FilterError(f"{name} is given more than once")
        args[name] = values[0]
    return args


def choice(args: Mapping[str, str], name: str, allowed: Collection[str], default: str | None) -> str | None:
    """An enumerated parameter."""
    value = args.get(name, default)
    if value is not None and value not in allowed:
        raise FilterError(f"{name} must be one of {', '.join(allowed)}")
    return value


def integer(args: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    """A bounded whole-number parameter."""
    raw = args.get(name)
    if raw is None:
        return default
    if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
        raise FilterError(f"{name} must be a whole number from {low} to {high}")
    return int(raw)


def _run(function, *args, **kwargs):
    with db.engine().connect() as conn:
        return jsonify(function(conn, *args, **kwargs))


@bp.get("/throughput")
def throughput():
    """Events per bucket and type, zero-filled; one series per node with by=node."""
    args = query_args("throughput")
    by = choice(args, "by", ("node",), None)
    return _run(traffic.throughput, Filters.from_query(args), by_node=by == "node")


@bp.get("/stats")
def stats():
    """Per-group counts, rates, bytes and delivery times, top N plus "other"; as CSV every group by default."""
    args = query_args("stats")
    by = choice(args, "by", breakdown.STATS_DIMS + breakdown.DIMS, "domain")
    sort = choice(args, "sort", breakdown.SORTS, "total")
    f = Filters.from_query(args)
    if not csv_export.wants_csv(args):
        return _run(breakdown.breakdown, f, by, sort, integer(args, "limit", 10, 1, 100))
    with db.engine().connect() as conn:  # small (one row per group): computed before the status line is sent
        body = breakdown.breakdown(conn, f, by, sort, integer(args, "limit", MAX_STATS_GROUPS, 1, MAX_STATS_GROUPS))
    rows = [{"row": "group", **g} for g in body["groups"]]
    rows += [{"row": name, **body[name]} for name in ("other", "total") if body[name] is not None]
    return csv_export.response(csv_export.filename(f"stats-by-{by}", f.start, f.end), ("row", *body["total"]),
                               [rows], MAX_STATS_GROUPS + 2)


@bp.get("/performance")
def delivery_performance():
    """Average, percentiles, brackets, trend and per-domain delivery times."""
    args = query_args("performance")
    return _run(performance.performance, Filters.from_query(args), integer(args, "limit", 10, 1, 100))


@bp.get("/sizes")
def sizes():
    """Message size brackets and the average-size trend."""
    return _run(performance.sizes, Filters.from_query(query_args("sizes")))


@bp.get("/bounce-analysis")
def bounce_analysis():
    """Failures by category, reason, domain, provider and SMTP response; hard vs soft."""
    args = query_args("bounce-analysis")
    return _run(bounces.bounce_analysis, Filters.from_query(args), integer(args, "limit", 10, 1, 100))


@bp.get("/summary")
def summary():
    """Counters per direction and type, per-hour rates and outcome rates."""
    return _run(traffic.summary, Filters.from_query(query_args("summary")))


@bp.get("/events")
def events():
    """Raw events newest first, keyset-paginated with an opaque cursor; or all of them streamed as CSV."""
    args = query_args("events")
    f = Filters.from_query(args, snap=False)
    search = {"event_type": choice(args, "type", EVENT_TYPES, None),
              "queue_id": text_value("queue_id", args["queue_id"], 64) if "queue_id" in args else None,
              "q": text_value("q", args["q"], 200) if "q" in args else None,
              "ip": event_log.ip_value(args["ip"]) if "ip" in args else None,
              "sender": text_value("sender", args["sender"]) if "sender" in args else None}
    if not csv_export.wants_csv(args):
        return _run(event_log.event_page, f, **search, cursor=args.get("cursor"),
                    limit=integer(args, "limit", 50, 1, 500))
    if "limit" in args:
        raise FilterError(f"limit does not apply to format=csv (it streams every event, at most {MAX_EXPORT_ROWS})")
    with db.engine().connect() as conn:  # the first page here, so a bad parameter is still a 400 JSON error
        first = event_log.event_page(conn, f, **search, cursor=args.get("cursor"), limit=EXPORT_PAGE)
    return csv_export.response(csv_export.filename("events", f.start, f.end), EVENT_COLUMNS,
                               _event_pages(f, search, first), MAX_EXPORT_ROWS)


def _event_pages(f: Filters, search: dict, page: dict):
    """The events of each keyset page, fetched as the client reads (a connection per page, none held between)."""
    yield page["events"]
    while page["next_cursor"]:
        with db.engine().connect() as conn:
            page = event_log.event_page(conn, f, **search, cursor=page["next_cursor"], limit=EXPORT_PAGE)
        yield page["events"]


@bp.get("/messages/<queue_id>")
def message(queue_id: str):
    """Every event of one message (queue id) in time order; 404 when there is none."""
    if request.args:
        raise FilterError("/messages/<queue_id> takes no parameters")
    queue_id = text_value("queue_id", queue_id, 64)
    with db.engine().connect() as conn:
        found = event_log.message_events(conn, queue_id)
    if not found:
        return error_response(404, f"no events for queue id {queue_id!r}")
    return jsonify(queue_id=queue_id, events=found)
