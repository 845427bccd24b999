"""Remote Connect: open a device's NinjaOne dashboard/remote page, and record every launch.

No Qt here. The UI asks `availability(device)` to enable or disable the button (with the
reason as a sentence) and awaits `launch(device, ticket_id=...)`. The URL comes from
`GET /v2/device/{id}/dashboard-url` and is cached for a few minutes (it is asked for on every
click; NinjaOne may attach an expiry). Each launch is recorded through the PSA layer's
`record_launch` callback when there is one (`psa_launch_recorder` builds it: Alga's
`asset_history` of the device's asset plus an `audit_logs` row), and always in the local
cache's activity log.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection

from ninja_desk.cache import activity_log
from ninja_desk.cache.queries.device_detail import remote_launches_sql
from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.permissions import REMOTE_CONNECT, denial_sentence, require

log = logging.getLogger(__name__)
CONTROL_SCOPE = "control"
URL_TTL_SECONDS = 180.0


@dataclass(frozen=True, slots=True)
class Availability:
    ok: bool
    reason: str = ""


@dataclass(frozen=True, slots=True)
class LaunchRecord:
    who: str
    at: float
    device_id: int
    device_name: str
    ticket_id: str | None


class RemoteConnectError(Exception):
    """The launch did not happen; the message says why and what to do."""

    def __init__(self, message: str, *, link: str | None = None) -> None:
        super().__init__(message)
        self.link = link  # the session link to copy by hand, when there is one


class OpenerFailed(RemoteConnectError):
    """The session link was fetched but the system could not open it: no session happened."""


def opener_outcome(value: Any) -> tuple[bool, str]:
    """(succeeded, reason) from what an opener returned. None means it did not say (a plain
    callable such as a test fake); False, or an object whose `ok` is False, is a failure."""
    if value is None or value is True:
        return True, ""
    if value is False:
        return False, ""
    ok = getattr(value, "ok", None)
    if isinstance(ok, bool):
        return ok, str(getattr(value, "reason", "") or "")
    return bool(value), ""


def record_in_psa(
    s: Any, integration_id: Any, record: LaunchRecord, *, url: str | None = None
) -> Any:
    """A launch in Alga: a `remote_connect` entry in the asset's `asset_history` (changed_by
    the technician, else the integration's service user: the column is NOT NULL) and an
    `audit_logs` row. Returns the asset id, or None when the device has no asset yet (the
    audit row is written all the same)."""
    import uuid

    from ninja_desk.psa import audit
    from ninja_desk.psa.clock import utcnow
    from ninja_desk.psa.integration_settings import load_settings, service_user
    from ninja_desk.psa.schema import asset_history, assets, tenant_external_entity_mappings

    require(s, REMOTE_CONNECT)
    device = str(record.device_id)
    m, a = tenant_external_entity_mappings.c, assets.c
    mapped = s.conn.scalar(
        sa.select(m.alga_entity_id)
        .where(
            m.tenant == s.tenant,
            m.integration_type == "ninjaone",
            m.alga_entity_type == "asset",
            m.external_entity_id == device,
        )
        .limit(1)
    )
    asset_id = uuid.UUID(str(mapped)) if mapped else None
    if asset_id is None:
        asset_id = s.conn.scalar(
            sa.select(a.asset_id)
            .where(a.tenant == s.tenant, a.rmm_provider == "ninjaone", a.rmm_device_id == device)
            .order_by(a.updated_at.desc())
            .limit(1)
        )
    changes = {
        "source": "ninjadesk_remote_connect",
        "device_id": device,
        "by": record.who,
        "ticket": record.ticket_id,
        "remote_session": {"old": None, "new": record.ticket_id or "opened"},
    }
    if url:
        changes["url"] = url
    if asset_id is not None:
        actor = s.user_id or service_user(s, load_settings(s, integration_id))
        s.conn.execute(
            asset_history.insert().values(
                tenant=s.tenant,
                history_id=uuid.uuid4(),
                asset_id=asset_id,
                changed_by=actor,
                change_type="remote_connect",
                changes=changes,
                changed_at=utcnow(),
            )
        )
    audit.record(s, "remote_connect.launched", "assets", asset_id or f"device:{device}", changes)
    return asset_id


def psa_launch_recorder(
    psa: Any, tenant: Any, user_id: Any, integration_id: Any
) -> Callable[[LaunchRecord], None]:
    """The `record_launch` callback for RemoteConnect: one PSA transaction per launch."""

    def record_launch(record: LaunchRecord) -> None:
        with psa.tenant_session(tenant, user_id) as s:
            record_in_psa(s, integration_id, record)

    return record_launch


def record_in_cache_log(conn: Connection, record: LaunchRecord) -> None:
    """The launch in the cache's local activity log (the device panel's sessions, offline)."""
    entry = activity_log.ActivityEntry(
        record.at,
        record.who,
        record.device_id,
        record.ticket_id,
        {"device_name": record.device_name},
    )
    activity_log.append(conn, activity_log.REMOTE_CONNECT, [entry])


def launches_in_cache(cache: LocalCache, device_id: int | None = None) -> list[dict[str, Any]]:
    sql, params = remote_launches_sql(device_id)
    return cache.rows(sql, **params)


class RemoteConnect:
    def __init__(
        self,
        api: Any,
        *,
        open_url: Callable[[str], Any],
        cache: LocalCache | None = None,
        scopes: list[str] | tuple[str, ...] = (),
        permissions: frozenset[str] | None = None,
        user: str = "local user",
        record_launch: Callable[[LaunchRecord], Awaitable[None] | None] | None = None,
        ttl: float = URL_TTL_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`api` is a NinjaOneApi (None when NinjaOne is not connected). `permissions` is the
        signed-in PSA user's rights, or None when there is no PSA sign-in to enforce."""
        self.api = api
        self.open_url = open_url
        self.cache = cache
        self.scopes = tuple(scopes)
        self.permissions = permissions
        self.user = user
        self.record_launch = record_launch
        self.ttl = ttl
        self.clock = clock
        self._urls: dict[int, tuple[str, float]] = {}
        self.last_record_error: str | None = None

    def availability(self, device: Mapping[str, Any] | None) -> Availability:
        if device is None:
            return Availability(False, "Select a device first.")
        if self.api is None:
            return Availability(False, "Connect NinjaOne in Settings to use Remote Connect.")
        if CONTROL_SCOPE not in self.scopes:
            return Availability(
                False,
                "The NinjaOne API app lacks the 'control' scope; add it "
                "in NinjaOne and sign in again.",
            )
        if self.permissions is not None and REMOTE_CONNECT not in self.permissions:
            return Availability(False, denial_sentence(REMOTE_CONNECT))
        if device.get("deleted"):
            return Availability(False, "This device was removed from NinjaOne.")
        if device.get("offline") is None:
            return Availability(False, "The device's agent state is unknown; sync and retry.")
        if device.get("offline"):
            return Availability(False, "The device is offline; Remote Connect needs it online.")
        return Availability(True)

    async def url_for(self, device_id: int) -> str:
        now = self.clock()
        cached = self._urls.get(int(device_id))
        if cached is not None and cached[1] > now:
            return cached[0]
        body = await self.api.dashboard_url(int(device_id))
        url = body.get("url") if isinstance(body, dict) else None
        if not isinstance(url, str) or not url.startswith(("https://", "http://")):
            raise RemoteConnectError(
                "NinjaOne did not return a link for this device; try again in a minute."
            )
        expires = body.get("expires") if isinstance(body, dict) else None
        until = now + self.ttl
        if isinstance(expires, int | float) and expires > 0:
            # Epoch seconds; a few documented fields are ms (design.md §3).
            expires_s = expires / 1000 if expires > 1e11 else float(expires)
            until = min(until, expires_s - 5)
        self._urls[int(device_id)] = (url, until)
        return url

    async def launch(self, device: Mapping[str, Any], *, ticket_id: str | None = None) -> str:
        verdict = self.availability(device)
        if not verdict.ok:
            raise RemoteConnectError(verdict.reason)
        url = await self.url_for(int(device["id"]))
        # Only a session that really opened is reported and recorded (PSA history included).
        try:
            opened = self.open_url(url)
            if inspect.isawaitable(opened):
                opened = await opened
        except OSError as exc:
            opened = False
            log.warning("The system opener failed: %s", exc)
        ok, reason = opener_outcome(opened)
        if not ok:
            why = f" ({reason})" if reason else ""
            raise OpenerFailed(
                f"Your system could not open the remote session link{why}. "
                "Copy the link and open it in your browser.",
                link=url,
            )
        record = LaunchRecord(
            who=self.user,
            at=self.clock(),
            device_id=int(device["id"]),
            device_name=str(device.get("name") or device["id"]),
            ticket_id=ticket_id,
        )
        self.last_record_error = None
        if self.record_launch is not None:
            # The session is already open; a PSA hiccup must not turn it into an error.
            try:
                await self._record(self.record_launch, record)
            except Exception as exc:
                log.warning("Recording the remote session in the PSA failed: %s", exc)
                self.last_record_error = str(exc) or type(exc).__name__
        if self.cache is not None:
            await self.cache.write(record_in_cache_log, record)
        return url

    @staticmethod
    async def _record(
        record_launch: Callable[[LaunchRecord], Awaitable[None] | None], record: LaunchRecord
    ) -> None:
        """A plain recorder writes to the PSA database (a network round trip, a freeze against
        a dead server): it runs on a worker thread, never on the loop the window shares."""
        if inspect.iscoroutinefunction(record_launch):
            await record_launch(record)
            return
        result = await asyncio.to_thread(record_launch, record)
        if inspect.isawaitable(result):
            await result

    @staticmethod
    def describe(record: LaunchRecord) -> dict[str, Any]:
        return asdict(record)
