"""SMTP response templates: the same reply with different addresses, ids and numbers groups together.

"550 5.1.1 <bob@example.com>: Recipient address rejected" and the same reply for alice become one template, which
is what the bounce analysis ranks. Enhanced status codes are kept; they are the point of the reply.
"""

from __future__ import annotations

import functools
import re

_RULES = [
    (re.compile(r"https?://\S+", re.I), "<url>"),
    (re.compile(r"<?[\w.+=-]+@[\w.-]+>?"), "<addr>"),
    (re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b|\b[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}\b", re.I), "<ip>"),
    (re.compile(r"\b(?=[0-9a-z_-]*\d)(?=[0-9a-z_-]*[a-z])[0-9a-z_-]{6,}\b", re.I), "<id>"),
    (re.compile(r"(?<![\d.])\d{4,}(?![\d.])"), "<n>"),
]
_SPACES = re.compile(r"\s+")
MAX_LENGTH = 200


@functools.lru_cache(maxsize=16384)
def template(response: str | None) -> str:
    """The masked, whitespace-folded, shortened form of an SMTP response ('' for none)."""
    if not response:
        return ""
    text = response
    for pattern, mask in _RULES:
        text = pattern.sub(mask, text)
    return _SPACES.sub(" ", text).strip()[:MAX_LENGTH]
