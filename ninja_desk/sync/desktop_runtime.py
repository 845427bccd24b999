"""The desktop's background services, without Qt: the PSA handle and an in-process agent.

A desktop is an agent with a window: when a PSA database is configured it runs the same relay
feed, scheduled sync + asset push and alert polling as `ninja-desk agent`, so alerts become
tickets while the app is open even where no headless agent runs. Several desktops and agents
may run at once; everything they write is claimed in the database.
"""

from __future__ import annotations

import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ninja_desk.cache.store import LocalCache
from ninja_desk.psa import assets
from ninja_desk.psa.integrations import connect_integration, list_integrations
from ninja_desk.psa.permissions import current_user_permissions
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine
from ninja_desk.sync.psa_mirror import PsaMirror

log = logging.getLogger(__name__)

ENV_RELAY_TOKEN = "NINJA_DESK_RELAY_TOKEN"


@dataclass
class DesktopPsa:
    """`ctx.psa`: the PSA database plus who this desktop acts as, for which integration."""

    db: PsaDatabase
    tenant: uuid.UUID
    user_id: uuid.UUID | None
    integration_id: uuid.UUID
    user_name: str

    def tenant_session(self, tenant: uuid.UUID | None = None, user_id: Any = None, **kw: Any):  # type: ignore[no-untyped-def]
        return self.db.tenant_session(tenant or self.tenant, user_id or self.user_id, **kw)

    def session(self):  # type: ignore[no-untyped-def]
        return self.db.tenant_session(self.tenant, self.user_id)

    def permissions(self) -> frozenset[str]:
        with self.session() as s:
            return current_user_permissions(s)

    def asset_history(self, device_id: int) -> list[dict[str, Any]]:
        with self.session() as s:
            asset = assets.find_by_device(s, self.integration_id, device_id)
            if asset is None:
                return []
            entries = assets.asset_history_for(s, asset.asset_id)
        return [
            {
                "changed_at": e.changed_at.timestamp() if e.changed_at else None,
                "summary": _summary(e.change_type, e.changes, e.source),
            }
            for e in reversed(entries)  # newest first
        ]

    def record_remote_launch(self, record: Any) -> None:
        with self.session() as s:
            asset = assets.find_by_device(s, self.integration_id, record.device_id)
            assets.record_remote_connect(
                s,
                asset.asset_id if asset else None,
                str(record.device_id),
                f"remote session by {record.who}",
                ticket_number=record.ticket_id,
            )


def _summary(change_type: str, changes: Any, source: str | None) -> str:
    if isinstance(changes, dict) and changes:
        fields = ", ".join(
            f"{k}: {v.get('old')!r} → {v.get('new')!r}" if isinstance(v, dict) else k
            for k, v in list(changes.items())[:4]
        )
        return f"{change_type} ({fields}) by {source or 'unknown'}"
    return f"{change_type} by {source or 'unknown'}"


def open_desktop_psa(settings: Settings, ninjaone_url: str, *, user_name: str) -> DesktopPsa | None:
    """The configured PSA database as this desktop's user, or None when none is configured.

    The embedded SQLite default is migrated and given its one local administrator; a shared
    PostgreSQL database must already be migrated (an admin runs `ninja-desk psa migrate`).
    """
    if not settings.psa_url:
        return None
    db = PsaDatabase(settings.psa_url)
    if db.is_postgres:
        if not settings.psa_tenant:
            raise ValueError("Set the PSA tenant for this PostgreSQL database in Settings.")
        tenant, user_id = uuid.UUID(settings.psa_tenant), None
    else:
        from ninja_desk.psa.migrator import migrate
        from ninja_desk.psa.tenants import ensure_local_admin

        migrate(settings.psa_url)
        info = ensure_local_admin(db)
        tenant, user_id = info.tenant, info.admin_user_id
        if settings.psa_tenant != str(tenant):
            settings.psa_tenant = str(tenant)
    with db.tenant_session(tenant, user_id) as s:
        found = list_integrations(s)
        integration = (
            found[0]
            if found
            else connect_integration(s, ninjaone_url, oauth_client_id=settings.client_id)
        )
    return DesktopPsa(db, tenant, user_id, integration, user_name)


def local_user_name() -> str:
    return os.environ.get("USER") or os.environ.get("USERNAME") or "technician"


class DesktopAgent:
    """Runs the agent's loops inside the desktop process (on the qasync loop)."""

    def __init__(
        self,
        *,
        cache: LocalCache,
        engine: SyncEngine,
        psa: DesktopPsa,
        settings: Settings,
        data_dir: Path,
        ninjaone_url: str,
        relay_token: str | None,
        on_changed: Callable[[], None],
        on_relay_state: Callable[[str], None],
    ) -> None:
        from ninja_desk.sync import alert_mirror
        from ninja_desk.sync.agent import Agent, AgentConfig
        from ninja_desk.sync.alert_pipeline import AlertPipeline
        from ninja_desk.sync.alert_service import AlertService

        relay_url = settings.relay_url if relay_token else None
        self.config = AgentConfig(
            tenant=psa.tenant,
            integration_id=psa.integration_id,
            relay_url=relay_url,
            relay_token=relay_token,
            ninjaone_url=ninjaone_url,
            sync_interval=max(1, settings.sync_interval_minutes) * 60.0,
            cursor_file=data_dir / "desktop-relay-cursor.json",
            # The window runs the first sync itself; the schedule starts after an interval.
            first_sync_delay=max(1, settings.sync_interval_minutes) * 60.0,
        )
        self.pipeline = AlertPipeline(
            psa.db,
            psa.tenant,
            psa.integration_id,
            user_id=psa.user_id,
            ninjaone_url=ninjaone_url,
            device_lookup=alert_mirror.device_lookup(cache),
        )
        self.alerts = AlertService(
            self.pipeline, cache=cache, api=engine.api, username=psa.user_name
        )
        # Settable later: the window (and its bridge) exists only after the services.
        self.on_changed = on_changed
        self.on_relay_state = on_relay_state
        self.agent = Agent(
            self.config,
            cache=cache,
            psa=psa.db,
            engine=engine,
            pipeline=self.pipeline,
            on_changed=lambda: self.on_changed(),
            on_relay_state=lambda state: self.on_relay_state(state),
        )
        self.mirror = PsaMirror(cache, psa)
        # Tickets people make or change in the PSA reach this desktop's offline view.
        self.agent.scheduler.every("psa-mirror", 60.0, self._mirror, first_delay=1.0)
        self.started_at = time.time()
        self.task: Any = None  # the asyncio task running `run()`, set by whoever starts it

    async def _mirror(self) -> None:
        if await self.mirror.run_once():
            self.on_changed()

    async def run(self) -> None:
        try:
            await self.agent.run()
        except Exception:  # the window stays usable on the cache; the log says what broke
            log.exception("Background services stopped")

    def stop(self) -> None:
        self.agent.stop()

    async def after_sync(self, full: bool) -> None:
        """The window's own sync (F5) also pushes to the PSA and feeds new conditions."""
        await self.agent.feed_synced_activities()
        await self.agent.push_assets(full=full)
        await self._mirror()
