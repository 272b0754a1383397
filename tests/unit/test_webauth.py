"""Pure parts of the security layer: config parsing, the `next` redirect check, the CSP text, password rules."""

import pytest

from config import ConfigError, Settings
from webauth import passwords
from webauth.headers import policy
from webauth.views import safe_next


def test_security_settings_parse_and_validate():
    s = Settings.from_env({"FRAME_ANCESTORS": "https://noc.example.net, 'self'", "SESSION_COOKIE_SECURE": "yes",
                           "TRUST_PROXY": "1", "INGEST_KEY_CACHE_SECONDS": "0.5"})
    assert s.frame_ancestors == ("https://noc.example.net", "'self'")
    assert s.session_cookie_secure == "true" and s.trust_proxy == 1 and s.ingest_key_cache_seconds == 0.5
    with pytest.raises(ConfigError) as info:
        Settings.from_env({"FRAME_ANCESTORS": "javascript:alert(1)", "INGEST_KEY_CACHE_SECONDS": "30",
                           "LOGIN_RATE_LIMIT": "lots", "METRICS_TOKEN": "short"})
    assert len(info.value.problems) == 4


@pytest.mark.parametrize("target,expected", [
    ("/queue?range=1h", "/queue?range=1h"), (None, "/"), ("https://evil.example/", "/"), ("//evil.example", "/"),
    ("/\\evil.example", "/"), ("javascript:alert(1)", "/"), ("queue", "/"),
])
def test_next_stays_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_csp_has_no_unsafe_script_sources_and_checks_the_host():
    csp = policy(["'sha256-abc'"], (), "mail.example.net:8050")
    assert "script-src 'self' 'sha256-abc'" in csp and "unsafe" not in csp.split("style-src")[0]
    assert "ws://mail.example.net:8050" in csp and "frame-ancestors 'none'" in csp
    assert "evil" not in policy([], (), "x; script-src evil")


def test_password_rules_and_verification():
    with pytest.raises(ValueError):
        passwords.hash_password("short")
    hashed = passwords.hash_password("long-enough-password")
    assert hashed.startswith("$argon2id$")
    assert passwords.verify(hashed, "long-enough-password")
    assert not passwords.verify(hashed, "wrong-password-123")
    assert not passwords.verify(None, "long-enough-password")


@pytest.mark.parametrize("given,expected", [
    (" admin ", "admin"), ("ADMIN", "admin"), ("\u3000Admin\t", "admin"), ("ａｄｍｉｎ", "admin"),
    ("ＡＤＭＩＮ", "admin"),
    ("Straße", "strasse"), ("\u212aelvin", "kelvin"), ("\u0430dmin", "\u0430dmin"),
])
def test_one_normal_form_for_usernames(given, expected):
    from store.accounts import normalise_username

    assert normalise_username(given) == expected
