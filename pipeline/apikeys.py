"""Managed ingest keys, the part both sides share: the Redis hash ingest reads and how a key is made and hashed.

The authoritative table is `ingest_keys` in PostgreSQL (store.ingest_keys, admin side). Its active hashes are
mirrored into the Redis hash `REDIS_HASH` (sha256 hex -> key name), because ingest never touches PostgreSQL.
SHA-256 suits keys of 256 random bits: nothing to brute-force, and a lookup costs microseconds per request
(a password hash like argon2 would cost tens of milliseconds on every POST).
"""

from __future__ import annotations

import hashlib
import re
import secrets

REDIS_HASH = "mailflow:ingest-keys"
PREFIX = "mfk_"
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,62}$")
_BOOTSTRAP_NAME = re.compile(r"^key\d+$")


def generate() -> str:
    """A new random key (256 bits, URL-safe, prefixed so it is recognisable in a config file or a leak scan)."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(key: str) -> str:
    """The stored form of a key: SHA-256 hex of its UTF-8 bytes."""
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).hexdigest()


def check_name(name: str) -> str:
    """A valid key name (it is stored in every event's `source`); ValueError otherwise."""
    if not _NAME.match(name):
        raise ValueError("a key name is 1-63 characters: a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
    if _BOOTSTRAP_NAME.match(name):
        raise ValueError("names key1, key2, ... belong to the INGEST_API_KEYS bootstrap keys")
    return name
