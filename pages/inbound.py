"""Inbound page."""

import dash
from dash import html

dash.register_page(__name__, path="/inbound", name="Inbound", order=1)


def layout(**_query) -> html.Div:
    """Page skeleton; charts arrive with the dashboard issue."""
    return html.Div([html.H2("Inbound"), html.P("Charts for this page are being built.", id="inbound-note")])
