"""The hub's pure parts: merging deltas that arrive together, and which origins may open the feed."""

from api.realtime import allowed_origin
from api.realtime.hub import merge


def _delta(n: int, node: str, at: int) -> dict:
    return {"type": "delta", "committed_at": at, "n": n, "counts": [["outbound", "delivered", node, n]],
            "seconds": [[at // 1000, "outbound", "delivered", n]]}


def test_merged_deltas_add_up_to_the_same_counts():
    merged = merge([_delta(3, "a", 1000), _delta(2, "b", 2000)])
    assert merged["n"] == 5 and merged["committed_at"] == 2000
    assert merged["counts"] == [["outbound", "delivered", "a", 3], ["outbound", "delivered", "b", 2]]
    assert sum(c[3] for c in merged["counts"]) == sum(s[3] for s in merged["seconds"]) == 5


def test_one_delta_is_passed_on_as_it_is():
    one = _delta(1, "a", 1)
    assert merge([one]) is one


def test_origins():
    assert allowed_origin(None, "mailflow.example.net", ())  # not a browser
    assert allowed_origin("https://mailflow.example.net", "mailflow.example.net", ())
    assert allowed_origin("http://127.0.0.1:8050", "127.0.0.1:8050", ())
    assert not allowed_origin("https://evil.example", "mailflow.example.net", ())
    assert not allowed_origin("https://mailflow.example.net.evil.example", "mailflow.example.net", ())
    assert not allowed_origin("null", "mailflow.example.net", ())
    assert allowed_origin("https://noc.example.net", "mailflow.example.net", ("https://noc.example.net",))
    assert allowed_origin("https://wall3.example.net", "mailflow.example.net", ("https://*.example.net",))
    assert not allowed_origin("https://evil.example", "mailflow.example.net", ("'self'",))
