"""Every page's callbacks survive any URL (issue 12, item 6): property-based, through Dash's own endpoint as the
browser calls it, and the banner says what was ignored."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.integration
PAGES = ["/", "/inbound", "/performance", "/events", "/queue", "/message/q1"]
TIMES = ["2026-11-27T10:00", "2026-11-27T09:00:30Z", "x", "", "9999-12-31T23:59", "1e400"]
INTERESTING = {"range": ["custom", "24h", "1y", ""], "from": TIMES, "to": TIMES, "refresh": ["²", "-1", "10", "1e3"],
               "theme": ["dark", "pink"], "kiosk": ["1", "maybe"], "type": ["bounced", "opened"],
               "direction": ["outbound", "up"], "node": ["mta-01", "\x00"], "domain": ["gmail.com", "x" * 300],
               "queue_id": ["q1"], "q": ["%", "a" * 300], "cursor": ["abc", "0:0"]}
# each parameter present about half the time, mostly with one of its telling values, else any text
QUERY = st.fixed_dictionaries({}, optional={k: st.one_of(*[st.sampled_from(v)] * 3, st.text(max_size=24))
                                            for k, v in INTERESTING.items()})


def _url_callbacks(client) -> list[tuple[str, dict]]:
    """(output key, spec) of every server callback that reads the page URL, as the browser learns them from
    /_dash-dependencies (allow_duplicate outputs left out)."""
    found = []
    for spec in client.get("/_dash-dependencies").json:
        ids = [d["id"] for d in spec["inputs"] + spec["state"]]
        if "url" in ids and "@" not in spec["output"] and not spec.get("clientside_function"):
            found.append((spec["output"], spec))
    return found


def _value(component: str, prop: str, path: str, search: str):
    return {("url", "search"): search, ("url", "pathname"): path, ("shell-theme", "data"): "light"}.get(
        (component, prop))


def _call(client, key: str, spec: dict, path: str, search: str):
    outputs = [{"id": o.split(".", 1)[0], "property": o.split(".", 1)[1]} for o in key.strip(".").split("...")]
    fill = [{"id": d["id"], "property": d["property"], "value": _value(d["id"], d["property"], path, search)}
            for d in spec["inputs"]]
    state = [{"id": d["id"], "property": d["property"], "value": _value(d["id"], d["property"], path, search)}
             for d in spec["state"]]
    return client.post("/_dash-update-component", json={
        "output": key, "outputs": outputs if len(outputs) > 1 else outputs[0], "inputs": fill, "state": state,
        "changedPropIds": ["url.search"]})


@pytest.fixture(scope="module")
def url_client(app, engine, test_users):
    from tests.support import login

    return login(app.test_client())


@given(path=st.sampled_from(PAGES), params=QUERY)
@example(path="/", params={"refresh": "²"})  # the two the review reproduced
@example(path="/performance", params={"range": "custom", "from": "x", "to": "y"})
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_no_callback_fails_on_any_url(url_client, path, params):
    search = "?" + urlencode(params)
    callbacks = _url_callbacks(url_client)
    assert len(callbacks) >= 10  # the pages' data callbacks and the shell's URL sync are all exercised
    for key, spec in callbacks:
        response = _call(url_client, key, spec, path, search)
        assert response.status_code in (200, 204), (key, search, response.get_data(as_text=True)[:300])


@pytest.mark.parametrize("search, said", [("?refresh=²", "Ignored refresh=²"),
                                          ("?range=custom&from=x&to=y", "Ignored the custom range")])
def test_the_banner_says_what_was_wrong(url_client, search, said):
    key, spec = next((k, s) for k, s in _url_callbacks(url_client) if k.startswith("..perf-gauge-avg"))
    response = _call(url_client, key, spec, "/performance", search)
    assert response.status_code == 200
    banner = json.loads(response.get_data(as_text=True))["sideUpdate"]["shell-alert"]
    assert banner["is_open"] and said in banner["children"]
