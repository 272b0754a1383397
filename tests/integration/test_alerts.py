"""Alerts end to end: a rule created through the API fires from real ingested events (written by the real worker
code), notifies a real webhook receiver and a real SMTP server once per transition, then resolves; a failing
webhook is retried and shown as failed; the API's validation, roles and JSON-only writes."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from itertools import count

import pytest

from tests.integration.alert_receivers import smtp_receiver, webhook_receiver
from tests.support import login, make_settings, post, run_worker
from workers import alerts, context
from workers.alert_state import RESOLVE_AFTER

_ids = count()


def events(n: int, event_type: str, domain: str = "example.org", node: str = "mta-a") -> list[dict]:
    now = int(time.time() * 1000) - 30_000
    return [{"event_id": f"al-{next(_ids)}", "event_type": event_type, "direction": "outbound", "timestamp": now,
             "mta_node": node, "to_address": f"user{i}@{domain}", "from_address": "news@shop.example"}
            for i in range(n)]


def ingest(client, redis, batch: list[dict]) -> None:
    assert post(client, batch).status_code == 202
    run_worker(redis)


@pytest.fixture
def smtp_app(app, monkeypatch):
    """The app and the worker code configured with a real local SMTP server (no TLS on loopback)."""
    with smtp_receiver() as (port, recorder):
        overrides = {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": port, "SMTP_FROM": "mailflow@example.net",
                     "SMTP_STARTTLS": "false", "ALERT_RETRY_INTERVALS": "0,0"}
        settings = make_settings(**overrides)
        monkeypatch.setitem(app.extensions, "settings", settings)
        context.use(settings)
        yield recorder


def create(client, rule: dict, status: int = 201) -> dict:
    response = client.post("/api/v1/alerts/rules", json=rule)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.json


def test_rule_fires_from_ingested_events_notifies_both_once_then_resolves(admin_client, redis, smtp_app, app):
    with webhook_receiver() as hook:
        rule = create(admin_client, {
            "name": "example.org bounces", "metric": "bounce_rate", "threshold": 0.2, "window_minutes": 15,
            "min_events": 10, "scope": {"domain": "example.org"},
            "notify": [{"webhook": hook.url}, {"email": "noc@example.net"}]})["rule"]
        assert rule["state"] == "ok"
        ingest(admin_client, redis, events(12, "delivered") + events(8, "bounced") + events(30, "bounced", "other.net"))
        assert alerts.evaluate() == {"example.org bounces": "firing"}
        run_worker(redis)  # the notification jobs on the alerts queue
        assert len(hook.bodies) == 1 and len(smtp_app.messages) == 1
        fired = hook.bodies[0]
        assert fired["alert"]["state"] == "firing" and fired["alert"]["value"] == pytest.approx(8 / 20)
        assert "FIRING" in fired["text"] and "example.org bounces" in fired["text"]
        recipients, message = smtp_app.messages[0]
        assert recipients == ["noc@example.net"] and message["Subject"] == fired["text"]

        assert alerts.evaluate() == {}  # still firing: no second notification
        run_worker(redis)
        assert len(hook.bodies) == 1 and len(smtp_app.messages) == 1

        ingest(admin_client, redis, events(80, "delivered"))  # 8 of 100 bounced: below 80 % of the threshold
        results = [alerts.evaluate() for _ in range(RESOLVE_AFTER)]
        assert results == [{}] * (RESOLVE_AFTER - 1) + [{"example.org bounces": "resolved"}]
        run_worker(redis)
        assert [b["alert"]["state"] for b in hook.bodies] == ["firing", "resolved"]
        assert hook.bodies[1]["alert"]["value"] == pytest.approx(8 / 100)
        assert "RESOLVED" in smtp_app.messages[1][1]["Subject"]

    body = login(app.test_client()).get("/api/v1/alerts").json  # a viewer sees state and history
    (shown,) = body["rules"]
    assert shown["state"] == "ok" and shown["value"] == pytest.approx(8 / 100) and shown["observed"] == 100
    assert [(h["state"], h["sent"], h["failed"]) for h in body["history"]] == [("resolved", 2, 0), ("firing", 2, 0)]


def test_a_failing_webhook_is_retried_then_shown_as_failed(admin_client, redis, smtp_app):
    with webhook_receiver() as hook:
        hook.status = 500
        create(admin_client, {"name": "node a bounces", "metric": "bounce_rate", "threshold": 0.5,
                              "scope": {"node": "mta-a"}, "notify": [{"webhook": hook.url}]})
        ingest(admin_client, redis, events(3, "bounced"))
        assert alerts.evaluate() == {"node a bounces": "firing"}
        run_worker(redis)
        attempts = 1 + len(context.settings().alert_retry_intervals)
        assert len(hook.bodies) == attempts
    body = admin_client.get("/api/v1/alerts").json
    (failed,) = body["failed_notifications"]
    assert failed["attempts"] == attempts and "500" in failed["error"] and failed["channel"] == "webhook"
    assert body["history"][0]["failed"] == 1
    assert body["notifications"] == {"sent": 0, "retried": attempts - 1, "failed": 1}
    metrics = admin_client.get("/metrics").get_data(as_text=True)
    assert 'mailflow_alert_notifications_total{outcome="failed"} 1.0' in metrics
    assert "mailflow_alerts_firing 1.0" in metrics


def test_muted_rule_changes_state_but_sends_nothing(admin_client, redis, smtp_app):
    with webhook_receiver() as hook:
        create(admin_client, {"name": "muted", "metric": "deferral_rate", "threshold": 0.1, "muted": True,
                              "notify": [{"webhook": hook.url}]})
        ingest(admin_client, redis, events(4, "deferred"))
        assert alerts.evaluate() == {"muted": "firing"}
        run_worker(redis)
        assert hook.bodies == []


RULE = {"name": "lag", "metric": "pipeline_lag", "threshold": 120}


def test_writes_need_the_admin_role_and_a_session(client, anonymous):
    assert client.post("/api/v1/alerts/rules", json=RULE).status_code == 403
    assert client.get("/api/v1/alerts").status_code == 200
    assert anonymous.post("/api/v1/alerts/rules", json=RULE).status_code == 401
    assert anonymous.get("/api/v1/alerts").status_code == 401


@pytest.mark.parametrize("content_type", ["application/x-www-form-urlencoded", "text/plain", "multipart/form-data"])
def test_writes_take_json_only(admin_client, content_type):
    import json

    response = admin_client.post("/api/v1/alerts/rules", data=json.dumps(RULE), content_type=content_type)
    assert response.status_code == 415 and response.is_json
    assert admin_client.get("/api/v1/alerts").json["rules"] == []


def test_cross_origin_writes_are_refused(admin_client):
    response = admin_client.post("/api/v1/alerts/rules", json=RULE, headers={"Origin": "https://evil.example"})
    assert response.status_code == 403
    assert admin_client.post("/api/v1/alerts/rules", json=RULE, headers={"Origin": "http://localhost"}).status_code \
        == 201


def test_invalid_rules_get_400_with_field_and_reason(admin_client):
    response = admin_client.post("/api/v1/alerts/rules", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json["errors"][0]["field"] == "$"
    bad = {"name": "x", "metric": "bounce_rate", "threshold": 0.1, "scope": {"zone": "z"},
           "notify": [{"webhook": "javascript:alert(1)"}, {"email": "ops@example.net"}]}
    errors = create(admin_client, bad, 400)["errors"]
    assert {e["field"] for e in errors} == {"scope.zone", "notify[0].webhook", "notify[1].email"}
    assert all(e["reason"] for e in errors)
    create(admin_client, RULE)
    assert create(admin_client, RULE, 400)["errors"] == [{"field": "name", "reason": "a rule with this name exists"}]
    assert len(admin_client.get("/api/v1/alerts").json["rules"]) == 1  # nothing else was stored


def test_replace_mute_and_delete(admin_client):
    rule_id = create(admin_client, RULE)["rule"]["id"]
    changed = admin_client.put(f"/api/v1/alerts/rules/{rule_id}", json=RULE | {"threshold": 300, "muted": True})
    assert changed.status_code == 200 and (changed.json["rule"]["threshold"], changed.json["rule"]["muted"]) == (300,
                                                                                                             True)
    assert admin_client.put("/api/v1/alerts/rules/999999", json=RULE).status_code == 404
    assert admin_client.delete(f"/api/v1/alerts/rules/{rule_id}").status_code == 204
    assert admin_client.delete(f"/api/v1/alerts/rules/{rule_id}").status_code == 404
    assert admin_client.delete("/api/v1/alerts/rules/abc").is_json


def test_history_is_pruned_by_the_maintenance_job(admin_client, redis, smtp_app):
    from sqlalchemy import text

    from store import db
    from workers import maintenance

    create(admin_client, {"name": "dead", "metric": "dead_letters", "threshold": 1})
    with db.engine().begin() as conn:
        rule_id = conn.execute(text("SELECT id FROM alert_rules")).scalar_one()
        conn.execute(text("INSERT INTO alert_history (rule_id, rule_name, state, threshold, at) VALUES "
                          "(:r, 'dead', 'firing', 1, :old), (:r, 'dead', 'resolved', 1, now())"),
                     {"r": rule_id, "old": datetime(2000, 1, 1, tzinfo=UTC)})
    assert maintenance.maintain()["alert_history_deleted"] == 1
    assert len(admin_client.get("/api/v1/alerts").json["history"]) == 1
