"""Tokens: random, shown once, stored as a hash, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

PREFIX = "tsr_"


@dataclass(frozen=True, slots=True)
class IssuedToken:
    token: str
    key_id: str
    secret_hash: bytes


def issue_token() -> IssuedToken:
    """A new token ``tsr_<key id>_<secret>``; only the secret's hash is ever stored."""
    key_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return IssuedToken(f"{PREFIX}{key_id}_{secret}", key_id, hash_secret(secret))


def split_token(token: str) -> tuple[str, str] | None:
    """The key id and secret of a well-formed token, else None."""
    if not token.startswith(PREFIX):
        return None
    key_id, sep, secret = token[len(PREFIX) :].partition("_")
    if not sep or len(key_id) != 16 or not secret:
        return None
    return key_id, secret


def hash_secret(secret: str) -> bytes:
    return hashlib.sha256(secret.encode()).digest()


def secret_matches(secret: str, stored_hash: bytes) -> bool:
    """Constant-time comparison of a presented secret with the stored hash."""
    return hmac.compare_digest(hash_secret(secret), stored_hash)
