"""A gunicorn logger that keeps wall-screen tokens out of the access log, and successful ingest requests too.

A kiosk link is `/kiosk/<token>`: the token is a bearer secret in the URL, so gunicorn's access log would keep
every screen's credential in clear. Select this class in the web process with
`gunicorn --logger-class webauth.accesslog.MaskingLogger …`; every logged value (request line, path, Referer,
headers, environ) then shows `/kiosk/[masked]` instead of the token. The rest of the log format is unchanged.

An accepted ingest or heartbeat POST is not logged at all: MTAs send thousands a second, each line costs the hot
path CPU, and /metrics counts them (mailflow_ingest_accepted_events_total). Refused ones (4xx, 5xx) are still logged.
"""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

MASK = "[masked]"
KIOSK_PREFIX = "/kiosk/"
QUIET_PREFIX = "/api/v1/events/"
# the token runs to the end of the path: up to a query, fragment, space or quote (percent-escaped or not)
_TOKEN = re.compile(r"(/kiosk/)[^\s?#\"']+", re.IGNORECASE)
_ESCAPED_PATH = ("{raw_uri}e", "{request_uri}e", "{path_info}e")


def mask(value: str) -> str:
    """The text with every /kiosk/<token> replaced by /kiosk/[masked]."""
    return _TOKEN.sub(r"\1" + MASK, value) if "iosk" in value.lower() else value


class MaskingLogger(Logger):
    """gunicorn's Logger whose access-log atoms never contain a kiosk token."""

    def access(self, resp, req, environ, request_time):
        """Log the request unless it is an accepted ingest or heartbeat POST."""
        if resp.status_code < 400 and (environ.get("PATH_INFO") or "").startswith(QUIET_PREFIX):
            return
        super().access(resp, req, environ, request_time)

    def atoms(self, resp, req, environ, request_time):
        """The standard atoms, masked."""
        atoms = super().atoms(resp, req, environ, request_time)
        if (environ.get("PATH_INFO") or "").startswith(KIOSK_PREFIX):
            # the decoded path is a kiosk entry even when the raw URI spelled it with %-escapes (/%6Biosk/…)
            atoms["U"] = KIOSK_PREFIX + MASK
            atoms["r"] = f"{environ.get('REQUEST_METHOD')} {KIOSK_PREFIX}{MASK} {environ.get('SERVER_PROTOCOL')}"
            for key in _ESCAPED_PATH:
                if key in atoms:
                    atoms[key] = KIOSK_PREFIX + MASK
        return {k: mask(v) if isinstance(v, str) else v for k, v in atoms.items()}
