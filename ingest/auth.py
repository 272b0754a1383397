"""Ingest API keys: `Authorization: Bearer <key>` or `X-API-Key: <key>`, compared in constant time."""

from __future__ import annotations

import hmac

from flask import Request


def presented_key(request: Request) -> str | None:
    """The key the client sent, if any."""
    header = request.headers.get("Authorization", "")
    if header[:7].lower() == "bearer ":
        return header[7:].strip() or None
    return request.headers.get("X-API-Key") or None


def source_of(request: Request, keys: tuple[str, ...]) -> str | None:
    """The name of the matching configured key ('key1', 'key2', ...), or None when missing or wrong.

    Every configured key is compared, whatever matched, so timing reveals neither a key nor its position.
    """
    given = (presented_key(request) or "").encode()
    match = None
    for n, key in enumerate(keys, start=1):
        if hmac.compare_digest(given, key.encode()) and given:
            match = f"key{n}"
    return match
