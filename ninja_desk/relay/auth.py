"""Who may post and who may listen, with a short cache in front of the database.

Webhooks arrive at hundreds per second, so endpoint secret hashes are cached for `ttl`
seconds. A secret that does not match the cached hashes is checked once more against the
database before a 401, so a rotation done by the CLI (another process) takes effect at once
for the new secret; the old one stops within `ttl` plus its grace period.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from ninja_desk.relay import secrets
from ninja_desk.relay.store import EndpointAuth, RelayStore


@dataclass(frozen=True, slots=True)
class Grant:
    """What a subscriber token may read: its name, its hash (the grant's identity: a
    revoked-then-re-added name gets a new hash) and the endpoints it is bound to."""

    name: str
    token_hash: str
    endpoints: tuple[str, ...]


@dataclass(slots=True)
class _Cached:
    auth: EndpointAuth | None
    fetched: float


class Authenticator:
    def __init__(self, store: RelayStore, ttl: float = 1.0) -> None:
        self._store = store
        self._ttl = ttl
        self._endpoints: dict[str, _Cached] = {}

    async def _endpoint(self, name: str, fresh: bool) -> EndpointAuth | None:
        cached = self._endpoints.get(name)
        now = time.monotonic()
        if cached is not None and not fresh and now - cached.fetched < self._ttl:
            return cached.auth
        auth = await asyncio.to_thread(self._store.get_endpoint, name)
        if auth is not None or len(self._endpoints) < 10_000:
            # Unknown names are cached too, but bounded: random paths must not fill memory.
            self._endpoints[name] = _Cached(auth, now)
        return auth

    async def endpoint_exists(self, name: str) -> bool:
        if await self._endpoint(name, fresh=False) is not None:
            return True
        # A just-added endpoint must work at once, so "unknown" is never trusted from cache.
        return await self._endpoint(name, fresh=True) is not None

    async def check_secret(self, name: str, secret: str | None) -> bool:
        if not secret:
            return False
        auth = await self._endpoint(name, fresh=False)
        if auth is not None and _secret_ok(auth, secret):
            return True
        auth = await self._endpoint(name, fresh=True)
        return auth is not None and _secret_ok(auth, secret)

    async def subscriber(self, authorization: str | None) -> Grant | None:
        """The grant for an `Authorization: Bearer` header, or None.

        Not cached: streams connect rarely, and a revocation must hold from the next connect.
        Every active hash is compared in constant time rather than looked up by value.
        """
        if not authorization:
            return None
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            return None
        found = None
        for name, token_hash in await asyncio.to_thread(self._store.active_subscribers):
            if secrets.matches(token, token_hash):
                found = (name, token_hash)
        if found is None:
            return None
        return await self.refresh(Grant(found[0], found[1], ()))

    async def refresh(self, grant: Grant) -> Grant | None:
        """The grant as it stands now (binding changes apply), or None once revoked."""

        def read() -> Grant | None:
            active = dict(self._store.active_subscribers())
            if active.get(grant.name) != grant.token_hash:
                return None
            endpoints = tuple(self._store.subscriber_endpoints(grant.name))
            return Grant(grant.name, grant.token_hash, endpoints)

        return await asyncio.to_thread(read)


def _secret_ok(auth: EndpointAuth, secret: str) -> bool:
    if secrets.matches(secret, auth.secret_hash):
        return True
    return (
        auth.old_secret_expires is not None
        and time.time() < auth.old_secret_expires
        and secrets.matches(secret, auth.old_secret_hash)
    )
