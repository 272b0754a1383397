"""The one URL-state parser (issue 12, item 6): never raises, always yields a usable state, says what it ignored."""

from urllib.parse import urlencode

from hypothesis import given, settings
from hypothesis import strategies as st

from components.urlstate import filter_args, query_string, view_state

KEYS = ["range", "from", "to", "refresh", "theme", "kiosk", "node", "type", "q", "cursor"]
VALUES = st.one_of(st.sampled_from(["custom", "1h", "7d", "²", "-1", "1e3", "10", "dark", "1", "x", "",
                                    "2026-11-27T10:00", "2026-11-27T10:00:30Z", "9999-01-01T00:00", "\x00"]),
                   st.text(max_size=30))


@given(st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=6))
@settings(max_examples=400, deadline=None)  # a busy machine must not turn a slow example into a failure
def test_any_query_gives_a_usable_state(params):
    state = view_state("?" + urlencode(params))
    assert state["range"] in ("1h", "6h", "24h", "7d", "30d", "custom")
    assert isinstance(state["refresh"], int) and 0 <= state["refresh"] <= 86_400
    assert state["theme"] in ("dark", "light")
    args = filter_args(state)
    assert set(args) in ({"range"}, {"from", "to"})
    assert view_state(query_string(state))["problems"] == []  # what the state writes back is clean


def test_problems_name_the_parameter_and_why():
    assert view_state("?refresh=²")["problems"] == ["Ignored refresh=²: not a whole number of seconds (0-86400)"]
    state = view_state("?range=custom&from=x&to=y")
    assert state["range"] == "24h" and "custom range from=x to=y" in state["problems"][0]
    assert view_state("?range=custom&from=2026-11-27T12:00&to=2026-11-27T10:00")["range"] == "24h"
    assert view_state("?range=1y&theme=pink&kiosk=maybe")["problems"][0].startswith("Ignored range=1y")
    assert len(view_state("?range=1y&theme=pink&kiosk=maybe")["problems"]) == 3
    assert view_state("?range=7d&refresh=30")["problems"] == []
