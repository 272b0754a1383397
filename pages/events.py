"""Drill-down: the raw events behind a chart point or a table row, newest first, paginated with a cursor in the
URL (so a page of events is a bookmark too). Filters: time range, type, direction, node, domain, provider, sending
IP, sender domain, queue id, text."""

from urllib.parse import parse_qsl, urlencode

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components import chart, eventlist, reports
from components.urlstate import filter_args, view_state
from pages import _context
from store import event_log
from store.filters import FilterError, Filters

dash.register_page(__name__, path="/events", name="Events", order=4, title="Mailflow: events")
PAGE_SIZE = 50
KEYS = ("type", "direction", "node", "domain", "provider", "ip", "sender", "queue_id", "q")
RANGE_KEYS = ("direction", "node", "domain", "provider")  # the ones store.filters.Filters takes
_DAYS = event_log.MAX_SEARCH_SPAN.days
SEARCH_NOTES = {
    None: f"A whole address or Message-ID is found over any range; part of one (a name, a domain) searches at most "
          f"{_DAYS} days.",
    "exact": "Exact match on sender, recipient or Message-ID over the whole range (addresses ignore case).",
    "substring": f"Partial match in sender, recipient and Message-ID; searches at most {_DAYS} days.",
}


def layout(**query) -> html.Div:
    """Filter chips, a search box, the table and the pager."""
    chips = [dbc.Badge(f"{k}: {query[k]}", color="light", text_color="dark", className="me-1 border")
             for k in KEYS if query.get(k) and k != "q"]
    search = dbc.InputGroup([dbc.Input(id="events-q", value=query.get("q", ""), placeholder="address or Message-ID",
                                       debounce=True), dbc.Button("Search", id="events-search", color="primary")],
                            size="sm", style={"maxWidth": "28rem"})
    return html.Div([
        html.Div([html.H4("Events", className="me-3 mb-0"), *chips, reports.download_link("events-csv")],
                 className="d-flex align-items-center mb-2"),
        search,
        html.Small(SEARCH_NOTES[event_log.search_mode(query.get("q"))], id="events-search-note",
                   className="text-muted d-block mb-2"),
        chart.card("Newest first", dcc.Loading(html.Div(id="events-table"), type="dot", delay_show=300),
                 html.Div(id="events-pager")),
    ])


def _query(search: str | None) -> dict:
    return dict(parse_qsl((search or "").lstrip("?")))


@callback(Output("events-table", "children"), Output("events-pager", "children"), Output("events-csv", "href"),
          Input("url", "search"), State("url", "pathname"))
def update_events(search, path):
    """One page of events for the URL's filters, and the CSV export of all of them."""
    if path != "/events":
        return no_update, no_update, no_update
    query = _query(search)
    try:
        f = Filters.from_query(filter_args(view_state(search)) | {k: query[k] for k in RANGE_KEYS if query.get(k)},
                               snap=False)
    except FilterError as exc:
        return html.Div(f"Invalid filters: {exc}", className="text-danger"), "", ""
    csv = reports.csv_href(search, "events", **{k: query.get(k, "") for k in KEYS})
    if event_log.search_mode(query.get("q")) == "substring" and f.end - f.start > event_log.MAX_SEARCH_SPAN:
        return _capped(), "", csv
    page = _context.load(event_log.event_page, f, event_type=query.get("type"), queue_id=query.get("queue_id"),
                      q=query.get("q"), ip=query.get("ip"), sender=query.get("sender"), cursor=query.get("cursor"),
                      limit=PAGE_SIZE)
    if page is None:
        return no_update, no_update, csv
    older = {k: v for k, v in query.items() if k != "cursor"} | {"cursor": page["next_cursor"]}
    newest = {k: v for k, v in query.items() if k != "cursor"}
    pager = html.Div([dcc.Link("⟲ newest", href="/events?" + urlencode(newest), className="me-3"),
                      dcc.Link("older →", href="/events?" + urlencode(older), id="events-older")
                      if page["next_cursor"] else html.Span("end of list", className="text-muted")])
    return eventlist.event_table(page["events"]), pager, csv


def _capped() -> html.Div:
    return html.Div(f"A partial search reads every event of the range, so it covers at most {_DAYS} days. Pick a "
                    f"shorter range, or search for a whole address or Message-ID (found over any range).",
                    id="events-search-capped", className="alert alert-warning mb-0")


@callback(Output("url", "href", allow_duplicate=True), Input("events-search", "n_clicks"),
          Input("events-q", "n_submit"), State("events-q", "value"), State("url", "search"), prevent_initial_call=True)
def search_events(_clicks, _submit, text, search):
    """Apply the text search (and restart from the newest event)."""
    query = {k: v for k, v in _query(search).items() if k not in ("cursor", "q")}
    if text and text.strip():
        query["q"] = text.strip()[:200]
    return "/events?" + urlencode(query)
