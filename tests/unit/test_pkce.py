from __future__ import annotations

import re

from ninja_desk.ninjaone.pkce import challenge_s256, make_state, make_verifier, new_pkce


def test_rfc7636_appendix_b_vector() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert challenge_s256(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_long_unreserved_and_random() -> None:
    verifiers = {make_verifier() for _ in range(50)}
    assert len(verifiers) == 50
    for v in verifiers:
        assert 43 <= len(v) <= 128
        assert re.fullmatch(r"[A-Za-z0-9\-._~]+", v)


def test_pair_matches_and_hides_verifier() -> None:
    pair = new_pkce()
    assert pair.method == "S256"
    assert pair.challenge == challenge_s256(pair.verifier)
    assert pair.verifier not in repr(pair)


def test_state_is_unguessable() -> None:
    states = {make_state() for _ in range(50)}
    assert len(states) == 50
    assert all(len(s) >= 40 for s in states)
