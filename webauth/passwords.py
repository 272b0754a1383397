"""Password hashing with argon2id (argon2-cffi's RFC 9106 defaults) and generated passwords.

A failed login against an unknown user still runs one verification, against a dummy hash, so response time does
not tell which usernames exist.
"""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 10
MAX_LENGTH = 1024  # argon2 takes any length; the cap only bounds the work a request can ask for
_hasher = PasswordHasher()


def check_strength(password: str) -> str:
    """The password when acceptable; ValueError saying why not."""
    if len(password) < MIN_LENGTH:
        raise ValueError(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise ValueError(f"a password has at most {MAX_LENGTH} characters")
    return password


def hash_password(password: str) -> str:
    """The argon2id hash (with its parameters and salt) of an acceptable password."""
    return _hasher.hash(check_strength(password))


def verify(password_hash: str | None, password: str) -> bool:
    """Whether the password matches; an unknown user (hash None) costs the same time and fails."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(password_hash or _dummy_hash(), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """Whether the hash was made with weaker parameters than today's (rehash on the next login)."""
    return _hasher.check_needs_rehash(password_hash)


def generate() -> str:
    """A random password (about 100 bits) for a new user or a reset."""
    return secrets.token_urlsafe(16)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))
