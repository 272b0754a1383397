"""Outbound flow page (the landing page): counters, throughput, per-node lines, sizes, bounce analysis."""

import dash
from dash import html

dash.register_page(__name__, path="/", name="Outbound", order=0)


def layout(**_query) -> html.Div:
    """Page skeleton; charts arrive with the dashboard issue."""
    return html.Div([html.H2("Outbound flow"), html.P("Charts for this page are being built.", id="outbound-note")])
