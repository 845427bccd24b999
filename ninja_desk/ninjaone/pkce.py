"""PKCE (RFC 7636) verifier/challenge pairs and the OAuth `state` value.

Only S256: NinjaOne advertises `code_challenge_methods: [S256]` (reference §2.1), and `plain`
would hand the verifier to anyone who can read the authorize URL.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass

# RFC 7636 §4.1: 43..128 characters from the unreserved set; token_urlsafe uses exactly it.
_VERIFIER_BYTES = 64  # 86 characters


def make_verifier(nbytes: int = _VERIFIER_BYTES) -> str:
    verifier = secrets.token_urlsafe(nbytes)
    if not 43 <= len(verifier) <= 128:
        raise ValueError("a PKCE verifier must be 43 to 128 characters long")
    return verifier


def challenge_s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """An unguessable value tying the callback to the request we started (CSRF defence)."""
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class PkcePair:
    verifier: str
    challenge: str
    method: str = "S256"

    def __repr__(self) -> str:  # the verifier is a one-time secret
        return f"PkcePair(challenge={self.challenge!r}, method={self.method!r}, verifier=***)"


def new_pkce() -> PkcePair:
    verifier = make_verifier()
    return PkcePair(verifier=verifier, challenge=challenge_s256(verifier))
