"""Build the NinjaOne stack (token provider -> client -> api) in one place."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path

from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.tokens import OAuthTokenProvider, TokenStore, lock_file_name
from ninja_desk.paths import data_dir


class NotSignedIn(NinjaOneError):
    """No saved sign-in or client secret for this app."""


def open_api(
    base_url: str,
    client_id: str,
    client_secret: str | None = None,
    *,
    store: TokenStore | None = None,
    rate_per_second: float = 20.0,
    retry: RetryPolicy | None = None,
    lock_dir: Path | None = None,
    on_reconnect_required: Callable[[str], None] | None = None,
) -> NinjaOneApi:
    # The file lock makes the app, the agent and the CLI on one machine refresh one rotating
    # session in turn instead of invalidating each other's refresh token.
    lock_path = (lock_dir or data_dir()) / lock_file_name(base_url, client_id)
    tokens = OAuthTokenProvider(
        base_url,
        client_id,
        client_secret,
        store=store,
        lock_path=lock_path,
        on_reconnect_required=on_reconnect_required,
    )
    client = NinjaOneClient(
        base_url,
        tokens,
        limiter=RateLimiter(rate_per_second, burst=max(1, int(rate_per_second))),
        retry=retry,
    )
    return NinjaOneApi(client)


def open_saved_api(
    base_url: str,
    client_id: str,
    *,
    encrypted_file: str | os.PathLike[str] | None = None,
    environ: Mapping[str, str] | None = None,
    prompt: Callable[[str], str] | None = None,
    lock_dir: Path | None = None,
    **options: object,
) -> NinjaOneApi:
    """The API on the sign-in `ninja-desk login` saved (env secret, encrypted file, keyring).

    What headless callers (`ninja-desk sync`, `ninja-desk agent`) use; `encrypted_file` (or
    NINJA_DESK_ENCRYPTED_FILE) selects a passphrase-protected file, the passphrase coming from
    NINJA_DESK_PASSPHRASE or a prompt on a terminal. Raises `NotSignedIn` when nothing is saved
    and CredentialsError when the store cannot be opened; both read as one sentence.
    """
    from ninja_desk.ninjaone.credentials import ENV_CLIENT_SECRET, saved_credentials

    secret, store = saved_credentials(
        base_url, client_id, encrypted_file=encrypted_file, environ=environ, prompt=prompt
    )
    if secret is None and store is None:
        raise NotSignedIn(
            f"No NinjaOne sign-in is saved for app {client_id}: run 'ninja-desk login' (add "
            f"--encrypted-file PATH where there is no keyring) or set {ENV_CLIENT_SECRET}."
        )
    return open_api(base_url, client_id, secret, store=store, lock_dir=lock_dir, **options)  # type: ignore[arg-type]
