"""Performance page."""

import dash
from dash import html

dash.register_page(__name__, path="/performance", name="Performance", order=3)


def layout(**_query) -> html.Div:
    """Page skeleton; charts arrive with the dashboard issue."""
    return html.Div([html.H2("Performance"), html.P("Charts for this page are being built.", id="performance-note")])
