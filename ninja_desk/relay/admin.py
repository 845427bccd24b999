"""Admin operations shared by the CLI and the tests: they return the one-time secrets."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from ninja_desk.relay import secrets
from ninja_desk.relay.store import AdminError, RelayStore

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def valid_name(name: str) -> bool:
    return _NAME.match(name) is not None


def _check_name(name: str, what: str) -> None:
    if not valid_name(name):
        raise AdminError(
            f"{what} name {name!r} is not allowed: use 1-64 letters, digits, '-', '_' or '.', "
            "starting with a letter or digit."
        )


def add_endpoint(store: RelayStore, name: str) -> str:
    _check_name(name, "Endpoint")
    secret = secrets.new_secret()
    store.add_endpoint(name, secrets.hash_secret(secret), time.time())
    return secret


def rotate_endpoint(store: RelayStore, name: str, grace: float) -> str:
    if grace < 0:
        raise AdminError("--grace must be zero or more seconds.")
    secret = secrets.new_secret()
    store.rotate_endpoint(name, secrets.hash_secret(secret), time.time() + grace)
    return secret


def default_endpoints(store: RelayStore, name: str) -> list[str]:
    """The binding when none is given: the only endpoint, or a sentence saying to choose."""
    existing = store.list_endpoints()
    if len(existing) == 1:
        return existing
    if not existing:
        raise AdminError(
            "There are no endpoints yet: add one with `endpoint add NAME`, then the subscriber."
        )
    raise AdminError(
        f"Say which endpoints subscriber {name!r} may read with --endpoint NAME (repeatable); "
        f"the endpoints are: {', '.join(existing)}."
    )


def add_subscriber(store: RelayStore, name: str, endpoints: Sequence[str] | None = None) -> str:
    """A new token bound to `endpoints` (None: the only endpoint there is)."""
    _check_name(name, "Subscriber")
    chosen = list(dict.fromkeys(endpoints)) if endpoints else default_endpoints(store, name)
    token = secrets.new_token()
    store.add_subscriber(name, secrets.hash_secret(token), time.time(), chosen)
    return token


def bind_subscriber(store: RelayStore, name: str, endpoints: Sequence[str]) -> list[str]:
    return store.bind_subscriber(name, list(dict.fromkeys(endpoints)), bind=True)


def unbind_subscriber(store: RelayStore, name: str, endpoints: Sequence[str]) -> list[str]:
    return store.bind_subscriber(name, list(dict.fromkeys(endpoints)), bind=False)


def revoke_subscriber(store: RelayStore, name: str) -> None:
    if not store.revoke_subscriber(name, time.time()):
        raise AdminError(f"No active subscriber named {name!r}.")


def add_forward(store: RelayStore, url: str) -> bool:
    if not url.startswith(("http://", "https://")):
        raise AdminError(f"Forward target {url!r} must be an http:// or https:// URL.")
    return store.add_forward_target(url, time.time())
