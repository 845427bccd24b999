"""The async NinjaOne HTTP client: auth, throttling, retries, typed errors, call accounting."""

from __future__ import annotations

import logging
import re
from collections import Counter
from typing import Any, Protocol

import httpx
import orjson

from ninja_desk.ninjaone.errors import (
    NinjaOneAuthExpired,
    NinjaOneBadRequest,
    NinjaOneBadResponse,
    NinjaOneError,
    NinjaOneForbidden,
    NinjaOneNotFound,
    NinjaOneRateLimited,
    NinjaOneServerError,
    NinjaOneTransportError,
    describe_error_body,
)
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy, ServerFailed, Throttled, Unauthorized

log = logging.getLogger(__name__)

_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE", "OPTIONS"})
_NUMERIC_SEGMENT = re.compile(r"/\d+(?=/|$)")
_UUID_SEGMENT = re.compile(r"/[0-9a-fA-F-]{32,36}(?=/|$)")


class TokenSource(Protocol):
    async def get_token(self) -> str: ...
    async def refresh_after_unauthorized(self, rejected: str) -> str: ...


def endpoint_key(method: str, path: str) -> str:
    """`GET /v2/device/{id}/software` for accounting, whatever the id."""
    path = _UUID_SEGMENT.sub("/{uid}", _NUMERIC_SEGMENT.sub("/{id}", path))
    return f"{method} {path}"


class NinjaOneClient:
    def __init__(
        self,
        base_url: str,
        tokens: TokenSource,
        *,
        limiter: RateLimiter | None = None,
        retry: RetryPolicy | None = None,
        http: httpx.AsyncClient | None = None,
        timeout: float = 60.0,
        api_prefix: str = "/v2",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._tokens = tokens
        self.limiter = limiter or RateLimiter()
        self.retry = retry or RetryPolicy()
        self._own_http = http is None
        self._http = http or httpx.AsyncClient(
            timeout=httpx.Timeout(timeout, connect=10.0),
            limits=httpx.Limits(max_connections=16, max_keepalive_connections=16),
        )
        self._prefix = api_prefix
        self.calls: Counter[str] = Counter()
        self.retries: Counter[str] = Counter()

    async def aclose(self) -> None:
        if self._own_http:
            await self._http.aclose()

    async def __aenter__(self) -> NinjaOneClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def url(self, path: str) -> str:
        return f"{self.base_url}{self._prefix}{path}"

    async def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return await self.request("GET", path, params=params)

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        idempotent: bool | None = None,
    ) -> Any:
        """Call `/v2{path}`; returns decoded JSON, or None for an empty (204) answer."""
        method = method.upper()
        key = endpoint_key(method, self._prefix + path)
        clean_params = {k: v for k, v in (params or {}).items() if v is not None}
        refreshed = False

        async def attempt() -> httpx.Response:
            nonlocal refreshed
            await self.limiter.acquire()
            token = await self._tokens.get_token()
            # A 429 may have arrived while we waited for the token: honour it before sending.
            await self.limiter.wait_out_pause()
            self.calls[key] += 1
            response = await self._http.request(
                method,
                self.url(path),
                params=clean_params,
                json=json,
                headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
            )
            status = response.status_code
            if status == 401 and not refreshed:
                refreshed = True
                await self._tokens.refresh_after_unauthorized(token)
                raise Unauthorized
            if status == 429:
                raise Throttled(response)
            if status >= 500:
                raise ServerFailed(response)
            return response

        def count_retry() -> None:
            self.retries[key] += 1

        retrying = self.retry.retrying(
            idempotent=method in _IDEMPOTENT if idempotent is None else idempotent,
            pause_everyone=self.limiter.pause_for,
            on_retry=count_retry,
        )
        try:
            response: httpx.Response = await retrying(attempt)
        except httpx.TransportError as exc:
            raise NinjaOneTransportError(
                f"Could not reach NinjaOne at {self.base_url} ({type(exc).__name__}). "
                "Check the network connection and try again."
            ) from None
        except Throttled:
            raise NinjaOneRateLimited(
                "NinjaOne is throttling requests; try again in a few minutes.", status=429
            ) from None
        except ServerFailed as exc:
            response = exc.response
        return self._decode(response, key)

    def _decode(self, response: httpx.Response, key: str) -> Any:
        status = response.status_code
        if status == 204 or (200 <= status < 300 and not response.content):
            return None
        try:
            body: Any = orjson.loads(response.content)
        except ValueError:  # orjson.JSONDecodeError is a ValueError
            body = response.text
            if 200 <= status < 300:
                raise NinjaOneBadResponse(
                    f"NinjaOne answered {key} with something that is not JSON.", status=status
                ) from None
        if 200 <= status < 300:
            return body
        detail = describe_error_body(body) or f"HTTP {status}"
        if status == 401:
            raise NinjaOneAuthExpired(
                f"NinjaOne refused the session ({detail}). Reconnect to NinjaOne.", status=status
            )
        if status == 403:
            raise NinjaOneForbidden(
                f"NinjaOne denied {key}: {detail}. The API client app or user lacks this "
                "permission or scope.",
                status=status,
            )
        if status == 404:
            raise NinjaOneNotFound(f"NinjaOne has no such item ({detail}).", status=status)
        if status >= 500:
            raise NinjaOneServerError(
                f"NinjaOne failed on {key} ({detail}); try again later.", status=status
            )
        if status in (400, 422):
            raise NinjaOneBadRequest(f"NinjaOne rejected {key}: {detail}.", status=status)
        raise NinjaOneError(f"NinjaOne answered {key} with HTTP {status}: {detail}.", status=status)
