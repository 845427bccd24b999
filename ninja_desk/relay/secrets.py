"""Endpoint secrets and subscriber tokens: generated here, stored only as SHA-256 hashes.

The relay never needs a secret back, only to recognise it, so the database holds hashes and a
stolen database opens nothing. Comparisons are constant time so a caller cannot learn a hash
prefix from response timing.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets as _random

SECRET_PREFIX = "ndr_whs_"
TOKEN_PREFIX = "ndr_sub_"


def new_secret() -> str:
    """A webhook secret for `X-NinjaDesk-Secret` (256 bits of entropy)."""
    return SECRET_PREFIX + _random.token_urlsafe(32)


def new_token() -> str:
    """A subscriber bearer token (256 bits of entropy)."""
    return TOKEN_PREFIX + _random.token_urlsafe(32)


def hash_secret(value: str) -> str:
    # Secrets carry 256 random bits, so a plain SHA-256 is enough: no password stretching needed.
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def matches(value: str, stored_hash: str | None) -> bool:
    if not stored_hash:
        return False
    return hmac.compare_digest(hash_secret(value), stored_hash)
