"""The alert notification job (RQ queue `alerts`): send one notification — a webhook POST or an e-mail — and
record the outcome. A failure is recorded (`retrying`, with the error) and re-raised so RQ retries it with the
ALERT_RETRY_INTERVALS backoff; the last failure is recorded as `failed`, shown on the Alerts page and counted in
/metrics, and the job stays in the queue's failed-job registry.

Webhooks get JSON with a Slack-compatible `text` line plus the structured `alert`; e-mails go through the
configured SMTP server (STARTTLS unless SMTP_STARTTLS=false, login when SMTP_USER is set).
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage

import requests
import rq

from store import alert_log, alert_stats
from workers import context

TIMEOUT = 10  # seconds per attempt: the worker also writes events, so a dead receiver must not hold it long


def send(notification_id: int) -> str:
    """Deliver one notification; return "sent" (or "gone" when it was pruned meanwhile)."""
    engine, redis_conn = context.engine(), context.redis_conn()
    with engine.connect() as conn:
        note = alert_log.notification(conn, notification_id)
    if note is None:
        return "gone"
    try:
        if note["channel"] == "webhook":
            _webhook(note["target"], payload(note))
        else:
            _email(note["target"], subject(note), text(note))
    except Exception as exc:
        job = rq.get_current_job()
        outcome = "retrying" if job is not None and job.retries_left else "failed"
        with engine.begin() as conn:
            alert_log.set_status(conn, notification_id, outcome, f"{type(exc).__name__}: {exc}")
        alert_stats.count_notification(redis_conn, "retried" if outcome == "retrying" else "failed")
        raise
    with engine.begin() as conn:
        alert_log.set_status(conn, notification_id, "sent")
    alert_stats.count_notification(redis_conn, "sent")
    return "sent"


def subject(note: dict) -> str:
    """A one-line summary: `[FIRING] name: metric = value (threshold t)`."""
    about = f" on {note['subject']}" if note["subject"] else ""
    value = "no data" if note["value"] is None else f"{note['value']:g}"
    return (f"[{note['state'].upper()}] {note['rule_name']}: {note['metric'] or 'metric'}{about} = {value} "
            f"(threshold {note['threshold']:g})")


def text(note: dict) -> str:
    """The message body: the summary, the scope and window, when it happened."""
    scope = f"{note['scope_kind']} {note['scope_value']}" if note["scope_kind"] else "everything"
    window = f", window {note['window_minutes']} min" if note["window_minutes"] else ""
    return f"{subject(note)}\nScope: {scope}{window}\nAt: {note['at'].isoformat()}\n"


def payload(note: dict) -> dict:
    """The webhook body: Slack's `text` plus the structured alert."""
    return {"text": subject(note), "alert": {
        "rule": note["rule_name"], "state": note["state"], "metric": note["metric"], "value": note["value"],
        "threshold": note["threshold"], "subject": note["subject"], "at": note["at"].isoformat(),
        "scope": {note["scope_kind"]: note["scope_value"]} if note["scope_kind"] else {},
        "window_minutes": note["window_minutes"]}}


def _webhook(url: str, body: dict) -> None:
    response = requests.post(url, json=body, timeout=TIMEOUT, allow_redirects=False)
    response.raise_for_status()


def _email(to: str, title: str, body: str) -> None:
    settings = context.settings()
    if not settings.smtp_host or not settings.smtp_from:
        raise RuntimeError("SMTP_HOST / SMTP_FROM are not configured")
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = settings.smtp_from, to, title
    message.set_content(body)
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=TIMEOUT) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password or "")
        smtp.send_message(message)
