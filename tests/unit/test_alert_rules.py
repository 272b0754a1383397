"""Alert rule validation: a valid rule passes with defaults; each mistake is reported as field + reason."""

from __future__ import annotations

import pytest

from store.alert_rules import RuleError, parse

VALID = {"name": "gmail bounces", "metric": "bounce_rate", "threshold": 0.05, "scope": {"provider": "gmail"},
         "window_minutes": 30, "min_events": 100,
         "notify": [{"webhook": "https://hooks.example.net/x"}, {"email": "ops@example.net"}]}


def fields(payload, email: bool = True) -> set[str]:
    with pytest.raises(RuleError) as info:
        parse(payload, email)
    return {e["field"] for e in info.value.errors}


def test_a_valid_rule_and_its_defaults():
    rule = parse(VALID, True)
    assert (rule.metric, rule.scope, rule.window_minutes, rule.min_events) == ("bounce_rate", {"provider": "gmail"},
                                                                             30, 100)
    minimal = parse({"name": "lag", "metric": "pipeline_lag", "threshold": 60}, False)
    assert (minimal.scope, minimal.notify, minimal.muted, minimal.window_minutes) == ({}, [], False, 15)


@pytest.mark.parametrize(("change", "field"), [
    ({"metric": "open_rate"}, "metric"),
    ({"threshold": "high"}, "threshold"),
    ({"threshold": 0}, "threshold"),
    ({"threshold": 5}, "threshold"),  # a rate is a fraction
    ({"window_minutes": 0}, "window_minutes"),
    ({"window_minutes": 1441}, "window_minutes"),
    ({"name": ""}, "name"),
    ({"name": "a\x00b"}, "name"),
    ({"scope": {"zone": "default"}}, "scope.zone"),
    ({"scope": {"provider": "gmail", "node": "mta-1"}}, "scope"),
    ({"scope": {"ip": "mta-1"}}, "scope.ip"),
    ({"scope": {"ip": "fe80::1%eth0"}}, "scope.ip"),
    ({"notify": [{"webhook": "ftp://x"}]}, "notify[0].webhook"),
    ({"notify": [{"email": "not an address"}]}, "notify[0].email"),
    ({"notify": [{"pager": "x"}]}, "notify[0]"),
    ({"colour": "red"}, "colour"),
])
def test_each_mistake_names_its_field(change, field):
    assert field in fields(VALID | change)


def test_missing_required_field_and_wrong_scope_for_the_metric():
    assert fields({"metric": "queue_size", "threshold": 1}) == {"name"}
    assert fields({"name": "q", "metric": "queue_size", "threshold": 1, "scope": {"provider": "gmail"}}) == \
        {"scope.provider"}


def test_email_needs_smtp_configured():
    assert fields(VALID, email=False) == {"notify[1].email"}


def test_not_an_object():
    assert fields([VALID]) == {"$"}


def test_an_ip_scope_is_kept_in_the_spelling_rollups_use():
    assert parse(VALID | {"scope": {"ip": "2001:DB8:0::A"}}, True).scope == {"ip": "2001:db8::a"}
