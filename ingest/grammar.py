"""Strict grammars for the identifiers that become chart labels and filter keys: node, zone, bounce category, MX
host and domains (given, or derived from an address). Markup such as `<a href=…>` can never pass, so it cannot
reach a legend or an axis; the figures escape their labels as well (defence in depth).

Checks are cached per distinct value: a batch repeats the same few nodes, zones and domains, so the hot path is a
dictionary hit, not a regex.
"""

from __future__ import annotations

import functools
import re

from ingest import derive

_TOKEN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")
_HOST = re.compile(r"\[?[A-Za-z0-9][A-Za-z0-9._:-]*\]?\Z")  # a hostname, or an address literal from a HELO
_LABEL = r"[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?"
_DOMAIN = re.compile(rf"(?=.{{1,253}}\Z)(?:{_LABEL}\.)*{_LABEL}\Z|ipv6:[0-9a-f:.]+\Z")  # normalised: lower, IDNA
TOKEN_REASON = "must be a token of letters, digits, '.', '-' or '_' starting with a letter or digit"
HOST_REASON = "must be a hostname (letters, digits, '.', '-', '_') or an address literal"
DOMAIN_REASON = "is not a valid domain name (IDNA)"
TOKEN_FIELDS = ("mta_node", "zone", "bounce_category")


@functools.lru_cache(maxsize=16384)
def is_token(value: str) -> bool:
    """A node, zone or category name: letters, digits, dot, dash, underscore (length is the schema's bound)."""
    return _TOKEN.match(value) is not None


@functools.lru_cache(maxsize=16384)
def is_host(value: str) -> bool:
    """A hostname-like MX host or HELO name, or an address literal such as [192.0.2.1]."""
    return _HOST.match(value) is not None


@functools.lru_cache(maxsize=65536)
def is_domain(value: str) -> bool:
    """Whether a domain is valid once normalised (lower-cased, IDNA-encoded): labels of 1-63, at most 253."""
    return _DOMAIN.match(derive.normalise_domain(value)) is not None


def errors(event) -> list[dict]:
    """Per-field errors of an event's identifiers (empty when all are valid or absent)."""
    e = event
    if (is_token(e.mta_node) and (not e.zone or is_token(e.zone))
            and (not e.bounce_category or is_token(e.bounce_category)) and (not e.mx_host or is_host(e.mx_host))
            and (is_domain(e.to_domain) if e.to_domain else _address_ok(e.to_address))
            and (is_domain(e.from_domain) if e.from_domain else _address_ok(e.from_address))):
        return []  # the common case in a few cached calls: ingest is the hot path
    found = [{"field": name, "reason": TOKEN_REASON} for name in TOKEN_FIELDS
             if (value := getattr(e, name)) and not is_token(value)]
    if e.mx_host and not is_host(e.mx_host):
        found.append({"field": "mx_host", "reason": HOST_REASON})
    for side in ("from", "to"):
        domain, address = getattr(e, f"{side}_domain"), getattr(e, f"{side}_address")
        if domain and not is_domain(domain):
            found.append({"field": f"{side}_domain", "reason": DOMAIN_REASON})
        elif not domain and not _address_ok(address):
            found.append({"field": f"{side}_address", "reason": "its domain part " + DOMAIN_REASON})
    return found


def _address_ok(address: str | None) -> bool:
    # the domain the stored row derives from the address (none without '@'); addresses rarely repeat, their
    # domains do, so the cache is on the domain
    return not address or "@" not in address or is_domain(address.rpartition("@")[2])
