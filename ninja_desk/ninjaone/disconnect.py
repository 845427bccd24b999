"""Disconnect from NinjaOne: undo what connecting did, in the order that still works.

1. Remove the webhook (needs a valid token), only if this app registered it.
2. Revoke the refresh token at `/ws/oauth/revoke` (RFC 7009), so a copy is worthless.
3. Delete the keyring entries (refresh token, client secret).
4. Keep the local cache and PSA data, unless the user asked to wipe: then delete the cache.

Each step runs even if an earlier one failed (offline, already revoked); the report says
what happened so the UI can tell the user what is left to do by hand.
"""

from __future__ import annotations

import contextlib
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.credentials import CLIENT_SECRET, REFRESH_TOKEN, SecretBackend
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.webhooks import WebhookError, unregister_webhook

log = logging.getLogger(__name__)

REVOKE_PATH = "/ws/oauth/revoke"


@dataclass(slots=True)
class DisconnectReport:
    webhook_removed: bool = False
    token_revoked: bool = False
    secrets_deleted: bool = False
    cache_deleted: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems


async def revoke_token(
    base_url: str,
    client_id: str,
    token: str,
    *,
    client_secret: str | None = None,
    token_type_hint: str = "refresh_token",
    http: httpx.AsyncClient | None = None,
) -> bool:
    """True if NinjaOne confirmed (200). Never raises for a server that lacks the endpoint."""
    form = {"token": token, "token_type_hint": token_type_hint, "client_id": client_id}
    if client_secret:
        form["client_secret"] = client_secret
    client = http or httpx.AsyncClient(timeout=30.0)
    try:
        response = await client.post(base_url.rstrip("/") + REVOKE_PATH, data=form)
    except httpx.HTTPError as exc:
        log.warning("Could not reach NinjaOne to revoke the token (%s).", type(exc).__name__)
        return False
    finally:
        if http is None:
            await client.aclose()
    if response.status_code == 200:
        return True
    log.warning("NinjaOne did not revoke the token (HTTP %s).", response.status_code)
    return False


def delete_cache_files(cache_path: Path) -> bool:
    deleted = False
    for suffix in ("", "-wal", "-shm", "-journal"):
        path = Path(f"{cache_path}{suffix}")
        with contextlib.suppress(FileNotFoundError):
            os.remove(path)
            deleted = True
    return deleted


async def disconnect(
    *,
    base_url: str,
    client_id: str,
    secrets: SecretBackend,
    client: NinjaOneClient | None = None,
    webhook_registered: bool = False,
    access_token: str | None = None,
    wipe: bool = False,
    cache_path: Path | None = None,
    http: httpx.AsyncClient | None = None,
) -> DisconnectReport:
    report = DisconnectReport()

    if webhook_registered and client is not None:
        try:
            await unregister_webhook(client)
            report.webhook_removed = True
        except WebhookError as exc:
            report.problems.append(str(exc))
        except NinjaOneError as exc:
            report.problems.append(
                f"The NinjaOne webhook could not be removed ({exc}); remove it in NinjaOne "
                "under Administration > Notification channels."
            )

    try:
        refresh = secrets.get(REFRESH_TOKEN)
        client_secret = secrets.get(CLIENT_SECRET)
    except NinjaOneError as exc:
        refresh = client_secret = None
        report.problems.append(str(exc))
    token, hint = (refresh, "refresh_token") if refresh else (access_token, "access_token")
    if token:
        report.token_revoked = await revoke_token(
            base_url, client_id, token, client_secret=client_secret, token_type_hint=hint, http=http
        )
        if not report.token_revoked:
            report.problems.append(
                "NinjaOne did not confirm that the sign-in was revoked; revoke it in NinjaOne "
                "under Administration > Apps > API > OAuth Tokens."
            )

    try:
        secrets.delete(REFRESH_TOKEN)
        secrets.delete(CLIENT_SECRET)
        report.secrets_deleted = True
    except NinjaOneError as exc:
        report.problems.append(str(exc))

    if wipe and cache_path is not None:
        report.cache_deleted = delete_cache_files(cache_path)
    return report
