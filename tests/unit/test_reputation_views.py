"""The sender-reputation drawings: links to the events, escaped labels, empty states that say why."""

import json
from urllib.parse import parse_qs, urlparse

import plotly

from components import reputation

LINK = '<a href="https://evil.example/x">x</a>'
RANGE = {"start": "2026-11-28T00:00:00Z", "end": "2026-11-28T02:00:00Z"}


def _group(key, **extra):
    return {"key": key, "received": 10, "delivered": 7, "deferred": 2, "bounced": 1, "delivery_rate": 0.7,
            "deferral_rate": 0.2, "bounce_rate": 0.1, "failures": 3,
            "reasons": [{"reason": "reputation", "failures": 2}, {"reason": "recipient", "failures": 1}],
            "listings": [{"response": f"554 5.7.1 blocked using zen.spamhaus.org {i}", "failures": 1}
                         for i in range(5)], **extra}


def _texts(component) -> list[str]:
    found = []

    def walk(node):
        if isinstance(node, str):
            found.append(node)
        elif isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            walk(node.children)

    walk(component)
    return found


def _links(component) -> list:
    out = []

    def walk(node):
        if isinstance(node, list | tuple):
            for child in node:
                walk(child)
        elif hasattr(node, "children"):
            if type(node).__name__ == "Link":
                out.append(node)
            walk(node.children)

    walk(component)
    return out


def test_table_links_each_ip_to_its_outbound_events_in_the_same_range():
    data = {"by": "ip", "groups": [_group("192.0.2.10"), _group("")], "trend": [], "range": RANGE}
    table = reputation.reputation_table(data, "?range=7d&theme=dark")
    (link,) = _links(table)
    query = parse_qs(urlparse(link.href).query)
    assert urlparse(link.href).path == "/events"
    assert query == {"range": ["7d"], "theme": ["dark"], "direction": ["outbound"], "ip": ["192.0.2.10"]}
    texts = _texts(table)
    assert "70.0 %" in texts and "(none)" in texts and "+ 2 more" in texts
    assert any("spamhaus" in t for t in texts)


def test_markup_in_keys_stays_text():
    data = {"by": "sender", "groups": [_group(LINK)], "trend": [], "range": RANGE}
    (link,) = _links(reputation.reputation_table(data, ""))
    assert link.children == LINK  # a React text child: rendered literally, never parsed
    assert parse_qs(urlparse(link.href).query)["sender"] == [LINK]
    matrix = {"ips": [LINK], "providers": ["<b>gmail</b>"],
              "cells": [{"ip": LINK, "provider": "<b>gmail</b>", "received": 4, "delivered": 3, "bounced": 1,
                         "deferred": 0, "delivery_rate": 0.75}]}
    text = json.dumps(reputation.provider_heatmap(matrix, "light").to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder)
    assert "<a" not in text and "<b>" not in text and "&lt;a href" in text


def test_heatmap_cells_are_delivery_percentages():
    matrix = {"ips": ["192.0.2.10", "192.0.2.11"], "providers": ["gmail", "outlook"],
              "cells": [{"ip": "192.0.2.10", "provider": "gmail", "received": 4, "delivered": 3, "bounced": 1,
                         "deferred": 0, "delivery_rate": 0.75},
                        {"ip": "192.0.2.11", "provider": "outlook", "received": 2, "delivered": 2, "bounced": 0,
                         "deferred": 0, "delivery_rate": 1.0}]}
    (heat,) = reputation.provider_heatmap(matrix, "dark").data
    assert [list(row) for row in heat.z] == [[75.0, None], [None, 100.0]]
    assert list(heat.x) == ["gmail", "outlook"] and list(heat.y) == ["192.0.2.10", "192.0.2.11"]


def test_empty_states_say_why():
    table = reputation.reputation_table({"by": "sender", "groups": [], "trend": [], "range": RANGE}, "")
    assert "No outbound events with a sender domain in this range" in _texts(table)[0]
    fig = reputation.provider_heatmap({"ips": [], "providers": [], "cells": []}, "light")
    assert "No outbound events" in fig.layout.annotations[0].text
    fig = reputation.failure_trend({"by": "ip", "groups": [], "trend": [], "range": RANGE}, "light")
    assert "No outbound events" in fig.layout.annotations[0].text
