"""Build the NinjaOne stack (token provider -> client -> api) in one place."""

from __future__ import annotations

from ninja_desk.ninjaone.api import NinjaOneApi
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.tokens import OAuthTokenProvider, TokenStore


def open_api(
    base_url: str,
    client_id: str,
    client_secret: str | None = None,
    *,
    store: TokenStore | None = None,
    rate_per_second: float = 20.0,
    retry: RetryPolicy | None = None,
) -> NinjaOneApi:
    tokens = OAuthTokenProvider(base_url, client_id, client_secret, store=store)
    client = NinjaOneClient(
        base_url,
        tokens,
        limiter=RateLimiter(rate_per_second, burst=max(1, int(rate_per_second))),
        retry=retry,
    )
    return NinjaOneApi(client)
