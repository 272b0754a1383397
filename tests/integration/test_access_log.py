"""Wall-screen tokens never reach the access log (issue 12, item 4): the Procfile's web command (gunicorn) with the
masking logger class, a real kiosk link opened three ways, and the log read back."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from pipeline import apikeys
from store import accounts, db
from tests.support import DATABASE_URL, REDIS_URL, TEST_KEY

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
LOGGER = "--logger-class webauth.accesslog.MaskingLogger"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def web_command() -> str:
    """The Procfile's web line, with the masking logger (the lead wires the flag into the Procfile itself)."""
    line = next(ln for ln in (ROOT / "Procfile").read_text().splitlines() if ln.startswith("web:"))
    command = line.split(":", 1)[1].strip()
    return command if "--logger-class" in command else command.replace("gunicorn ", f"gunicorn {LOGGER} ", 1)


def _get(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (urllib.error.URLError, OSError):
        return 0


def _wait_for(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_kiosk_tokens_are_masked_in_the_access_log(engine, test_users, tmp_path):
    token = secrets.token_urlsafe(32)
    with db.engine().begin() as conn:
        accounts.create_kiosk(conn, "log wall", apikeys.digest(token), "test")
    port, log = _free_port(), tmp_path / "web.log"
    env = dict(os.environ, DATABASE_URL=DATABASE_URL, REDIS_URL=REDIS_URL, SECRET_KEY="s" * 24,
               INGEST_API_KEYS=TEST_KEY, HOST="127.0.0.1", PORT=str(port), WEB_WORKERS="1", WEB_THREADS="4",
               LOG_LEVEL="WARNING", PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}")
    with log.open("w") as out:
        proc = subprocess.Popen(["bash", "-c", "exec " + web_command()], cwd=ROOT, env=env, stdout=out,
                                stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        def serving() -> bool:
            assert proc.poll() is None, log.read_text()[-2000:]
            return _get(base + "/healthz") == 200

        _wait_for(serving, 60, "gunicorn to serve")
        assert _get(f"{base}/kiosk/{token}?next=/queue") == 200  # redirected to the wall page
        assert _get(f"{base}/%6Biosk/{token}") in (200, 404)  # a percent-escaped path must be masked as well
        assert _get(f"{base}/kiosk/not-{token}") == 404  # a mistyped link is a near-secret too
        assert _get(f"{base}/healthz", Referer=f"{base}/kiosk/{token}") == 200
        _wait_for(lambda: log.read_text().count("/kiosk/[masked]") >= 4, 10, "the access log lines")
    finally:
        proc.terminate()
        proc.wait(30)
    text = log.read_text()
    assert token not in text, [ln for ln in text.splitlines() if token in ln]
    assert "GET /kiosk/[masked]" in text


@pytest.mark.parametrize("value, expected", [
    ("GET /kiosk/abc_DEF-123?next=/queue HTTP/1.1", "GET /kiosk/[masked]?next=/queue HTTP/1.1"),
    ("https://mf.example/Kiosk/abc", "https://mf.example/Kiosk/[masked]"),
    ("GET /queue?kiosk=1 HTTP/1.1", "GET /queue?kiosk=1 HTTP/1.1"),
])
def test_mask(value, expected):
    from webauth.accesslog import mask

    assert mask(value) == expected
