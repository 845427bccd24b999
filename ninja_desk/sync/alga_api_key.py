"""Where this desktop keeps its Alga API key: the environment, else the OS keyring.

The key says who the technician is in the PSA (`psa.identity` checks it); keeping it is the
desktop's business, not the PSA layer's, which is why the keyring lives up here.
"""

from __future__ import annotations

from typing import Any

from ninja_desk.environment import environment, reveal, variable
from ninja_desk.ninjaone.credentials import KeyringSecrets

ENV_API_KEY = variable("alga_api_key")
KEYRING_SERVICE = "NinjaDesk/alga"
KEYRING_KEY = "api_key"


def keyring_secrets() -> KeyringSecrets:
    return KeyringSecrets(KEYRING_SERVICE)


def stored_api_key(secrets: Any = None) -> str | None:
    """The key from NINJA_DESK_ALGA_API_KEY, else the keyring (None when neither has one or
    there is no usable keyring)."""
    from_env = (reveal(environment().alga_api_key) or "").strip()
    if from_env:
        return from_env
    try:
        return (secrets or keyring_secrets()).get(KEYRING_KEY) or None
    except Exception:  # no keyring on this machine: the desktop is read-only, it still runs
        return None


def store_api_key(api_key: str | None, secrets: Any = None) -> None:
    """Keep the key in the keyring (an empty key removes it)."""
    store = secrets or keyring_secrets()
    if api_key and api_key.strip():
        store.set(KEYRING_KEY, api_key.strip())
    else:
        store.delete(KEYRING_KEY)
