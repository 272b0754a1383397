"""Colours and Plotly templates shared by every chart, in light and dark variants matching Bootstrap's themes.

Event types keep one colour everywhere (delivered green, deferred amber, bounced red, rejected dark red ...), so a
colour means the same thing on every page and on the wall screen.
"""

from __future__ import annotations

import plotly.graph_objects as go
import plotly.io as pio

TYPE_COLORS = {
    "received": "#0d6efd", "delivered": "#198754", "deferred": "#f0ad00", "bounced": "#dc3545",
    "rejected": "#842029", "greylisted": "#6f42c1", "dropped": "#6c757d", "spam": "#fd7e14",
}
TYPE_LABELS = {
    "outbound": {"received": "Sent", "delivered": "Delivered", "deferred": "Deferred", "bounced": "Bounced",
                 "rejected": "Rejected", "greylisted": "Greylisted", "dropped": "Dropped"},
    "inbound": {"received": "Received", "delivered": "Delivered", "deferred": "Deferred", "bounced": "Bounced",
                "rejected": "Rejected", "greylisted": "Greylisted", "dropped": "Dropped", "spam": "Spam"},
}
SEQUENCE = ["#0d6efd", "#198754", "#f0ad00", "#dc3545", "#6f42c1", "#20c997", "#fd7e14", "#6c757d", "#0dcaf0",
            "#d63384"]
_FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"


def _template(dark: bool) -> go.layout.Template:
    base = pio.templates["plotly_dark" if dark else "plotly_white"]
    template = go.layout.Template(base)
    template.layout.update(
        font={"family": _FONT, "size": 13},
        colorway=SEQUENCE,
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        margin={"l": 48, "r": 16, "t": 36, "b": 40},
        legend={"orientation": "h", "y": -0.18, "x": 0},
        hovermode="x unified",
    )
    return template


TEMPLATES = {"light": _template(False), "dark": _template(True)}


def template(theme: str) -> go.layout.Template:
    """The Plotly template for a theme name ('light' or 'dark'; anything else is light)."""
    return TEMPLATES.get(theme, TEMPLATES["light"])
