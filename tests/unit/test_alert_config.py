"""The alert settings: SMTP validated at start (every problem at once), retry intervals and history days parsed."""

from __future__ import annotations

import pytest

from config import ConfigError, Settings


def test_smtp_settings_parse():
    s = Settings.from_env({"SMTP_HOST": "smtp.example.net", "SMTP_PORT": "2525", "SMTP_FROM": "mf@example.net",
                           "SMTP_USER": "mf", "SMTP_PASSWORD": "secret", "SMTP_STARTTLS": "false",
                           "ALERT_RETRY_INTERVALS": "5,30", "ALERT_HISTORY_DAYS": "30"})
    assert (s.smtp_host, s.smtp_port, s.smtp_from, s.smtp_user, s.smtp_starttls) == ("smtp.example.net", 2525,
                                                                                   "mf@example.net", "mf", False)
    assert (s.alert_retry_intervals, s.alert_history_days) == ((5, 30), 30)
    defaults = Settings.from_env({})
    assert (defaults.smtp_host, defaults.smtp_starttls, defaults.alert_history_days) == (None, True, 90)


def test_every_smtp_problem_is_listed_at_once():
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"SMTP_HOST": "smtp.example.net", "SMTP_USER": "mf", "SMTP_PORT": "0",
                           "SMTP_STARTTLS": "maybe"})
    text = str(info.value)
    for needle in ("SMTP_PORT", "SMTP_STARTTLS", "SMTP_FROM", "SMTP_USER and SMTP_PASSWORD"):
        assert needle in text


def test_smtp_details_without_a_host_are_an_error():
    with pytest.raises(ConfigError, match="SMTP_FROM is set but SMTP_HOST is not"):
        Settings.from_env({"SMTP_FROM": "mf@example.net"})
