"""Queue page."""

import dash
from dash import html

dash.register_page(__name__, path="/queue", name="Queue", order=2)


def layout(**_query) -> html.Div:
    """Page skeleton; charts arrive with the dashboard issue."""
    return html.Div([html.H2("Queue"), html.P("Charts for this page are being built.", id="queue-note")])
