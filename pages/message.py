"""One message's timeline: every event of its queue id in time order (all recipients), with responses."""

import dash
from dash import Input, Output, State, callback, dcc, html, no_update

from components import chart, eventlist
from pages import _context
from store import event_log

dash.register_page(__name__, path_template="/message/<queue_id>", name="Message", order=5, hide_nav=True,
                   title="Mailflow: message timeline")


def layout(queue_id: str = "", **_query) -> html.Div:
    """Header and the timeline placeholder."""
    return html.Div([
        html.H4(["Message ", html.Span(queue_id, className="mono")]),
        dcc.Store(id="message-queue-id", data=queue_id[:64]),
        chart.card("Timeline", dcc.Loading(html.Div(id="message-timeline"), type="dot", delay_show=300)),
    ])


@callback(Output("message-timeline", "children"), Input("message-queue-id", "data"), State("url", "pathname"))
def update_timeline(queue_id, _path):
    """Load the message's events."""
    if not queue_id:
        return html.Div("No queue id given.", className="text-muted")
    events = _context.load(event_log.message_events, queue_id)
    return no_update if events is None else eventlist.timeline(events)
