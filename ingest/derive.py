"""Derived fields of an event: domains (lower-cased, IDNA), SMTP code and enhanced status from the response,
mailbox provider, reason class; plus the truncations the contract promises. Builds the stored row tuple.
"""

from __future__ import annotations

import functools
import json
import re
from datetime import datetime
from pathlib import Path

import idna

from pipeline.vocabulary import FAILURES

REASON_CLASSES = {
    "recipient": "recipient", "capacity": "recipient", "envelope": "recipient",
    "blacklist": "reputation", "block": "reputation", "spam": "reputation", "policy": "reputation",
    "dmarc": "reputation", "auth": "reputation", "sender": "reputation",
    "rate": "throttling", "greylist": "throttling",
    "network": "infrastructure", "dns": "infrastructure", "config": "infrastructure", "http": "infrastructure",
    "plugin": "infrastructure",
    "message": "content", "virus": "content",
    "protocol": "protocol",
}
_CODE = re.compile(r"^\s*([2-5]\d\d)(?:[\s-]|$)")
_ENHANCED = re.compile(r"(?<![\d.])([245]\.\d{1,3}\.\d{1,3})(?![\d.])")


class ProviderMap:
    """Mailbox-provider groups by MX host suffix and by domain; the default map can be replaced from a file."""

    DEFAULT_PATH = Path(__file__).with_name("providers.json")

    def __init__(self, groups: dict[str, dict[str, list[str]]]):
        self.mx = {suffix.lower(): name for name, g in groups.items() for suffix in g.get("mx", [])}
        self.domains = {d.lower(): name for name, g in groups.items() for d in g.get("domains", [])}

    @classmethod
    def load(cls, path: str | None = None) -> ProviderMap:
        """The map from PROVIDER_MAP_FILE, or the built-in default."""
        return cls(json.loads(Path(path or cls.DEFAULT_PATH).read_text()))

    def lookup(self, mx_host: str | None, domain: str | None) -> str:
        """Provider of a destination: by MX suffix first (it catches hosted domains), then by domain."""
        if mx_host:
            labels = mx_host.lower().rstrip(".").split(".")
            for i in range(len(labels) - 1):
                name = self.mx.get(".".join(labels[i:]))
                if name:
                    return name
        return self.domains.get(domain or "", "other")


@functools.lru_cache(maxsize=65536)
def normalise_domain(domain: str) -> str:
    """Lower-case and IDNA-encode a domain; keep the lower-cased text when it is not a valid IDN."""
    domain = domain.strip().strip("<>[]").rstrip(".").lower()
    if domain.isascii():
        return domain
    try:
        return idna.encode(domain, uts46=True).decode("ascii")
    except idna.IDNAError:
        return domain


def domain_of(address: str | None) -> str | None:
    """The domain part of an envelope address, normalised; None for the null sender or no '@'."""
    if not address or "@" not in address:
        return None
    return normalise_domain(address.rsplit("@", 1)[1]) or None


def smtp_code(response: str | None) -> int | None:
    """The three-digit reply code at the start of an SMTP response."""
    match = _CODE.match(response) if response else None
    return int(match.group(1)) if match else None


def enhanced_status(response: str | None) -> str | None:
    """The RFC 3463 enhanced status code (e.g. 5.1.1) in a response, if any."""
    match = _ENHANCED.search(response) if response else None
    return match.group(1) if match else None


def reason_class(event_type: str, category: str | None) -> str | None:
    """Operator-facing reason group of a failure; None for successful events."""
    if event_type not in FAILURES and not category:
        return None
    return REASON_CLASSES.get(category or "", "other")


def epoch_ms(value: int | datetime) -> int:
    """Event time as integer epoch milliseconds (UTC)."""
    return value if isinstance(value, int) else int(value.timestamp() * 1000)


@functools.lru_cache(maxsize=1)
def default_providers() -> ProviderMap:
    """The built-in provider map, loaded once."""
    return ProviderMap.load()


def row(e, providers: ProviderMap | None = None, source: str | None = None) -> tuple:
    """The stored row for a validated event, in pipeline.row.COLUMNS order."""
    providers = providers or default_providers()
    from_domain = normalise_domain(e.from_domain) if e.from_domain else domain_of(e.from_address)
    to_domain = normalise_domain(e.to_domain) if e.to_domain else domain_of(e.to_address)
    category = e.bounce_category.lower() if e.bounce_category else None
    response = e.smtp_response[:500] if e.smtp_response else e.smtp_response
    peer_domain = to_domain if e.direction == "outbound" else from_domain
    return (
        e.event_id, epoch_ms(e.timestamp), e.event_type, e.direction, e.mta_node, e.queue_id, e.seq,
        e.message_id[:255] if e.message_id else e.message_id, e.zone, e.from_address, from_domain,
        e.to_address, to_domain, e.local_ip or None, e.remote_ip or None, e.mx_host,  # "" = unknown, not an inet
        e.smtp_code if e.smtp_code is not None else smtp_code(response), response, enhanced_status(response),
        category, reason_class(e.event_type, category), providers.lookup(e.mx_host, peer_domain),
        e.message_size, e.delivery_time_ms, e.attempt, e.tls, e.spam_score, source,
    )

