"""Build the NinjaOne stack (token provider -> client -> api) in one place."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.tokens import OAuthTokenProvider, TokenStore, lock_file_name
from ninja_desk.paths import data_dir


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
