"""SMTP response templates: the same reply with different addresses, ids and numbers groups together.

"550 5.1.1 <bob@example.com>: Recipient address rejected" and the same reply for alice become one template, which
is what the bounce analysis ranks. Enhanced status codes are kept; they are the point of the reply.

`listing` picks out the replies that speak about the sender's reputation: a blocklist (Spamhaus, Spamcop,
Barracuda ...), Microsoft's S3140/S3150 blocks, Gmail's 4.7.28/5.7.26 and "unsolicited mail" replies, Yahoo's
complaint deferrals, or any failure ZoneMTA filed under a reputation category.
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
_LISTING = re.compile(
    r"spamhaus|spamcop|barracuda|sorbs|surbl|uceprotect|spameatingmonkey|mailspike|psbl|\b(?:dns)?rbl\b|dnsbl"
    r"|block ?list|black ?list|\blisted\b|reputation|unsolicited|user complaints|\bS31[45]0\b|banned sending ip"
    r"|\b[45]\.7\.2[68]\b|\bTSS?0[1-4]\b", re.I)
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


@functools.lru_cache(maxsize=16384)
def _names_a_listing(response: str) -> bool:
    return _LISTING.search(response) is not None


def listing(response: str | None, reason: str | None) -> bool:
    """Whether a failure's reply is a reputation or blocklist verdict on the sender (reason class or wording)."""
    return reason == "reputation" or bool(response) and _names_a_listing(response)
