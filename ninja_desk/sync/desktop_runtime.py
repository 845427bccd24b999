"""The desktop's background services, without Qt: the PSA handle and an in-process agent.

A desktop is an agent with a window: when a PSA database is configured it runs the same relay
feed, scheduled sync + asset push and alert polling as `ninja-desk agent`, so alerts become
tickets while the app is open even where no headless agent runs. Several desktops and agents
may run at once; everything they write is claimed in the database.

Who the desktop acts as comes from Alga (psa/identity.py): the user of the Alga API key in
NINJA_DESK_ALGA_API_KEY or the keyring, with that user's Alga rights. Without a key (or with a
key whose user holds none of the rights) the desktop is read-only: its sessions hold no right,
the in-process agent writes nothing to the PSA, and `read_only_reason` says why. Only the
embedded SQLite PSA (the desktop's own sandbox) falls back to its one local administrator. As a
companion of Alga's own NinjaOne integration the in-process agent never pushes assets or makes
alert tickets either.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.identity import Identity, identify_or_read_only
from ninja_desk.psa.integration_settings import COMPANION
from ninja_desk.psa.integrations import connect_integration, find_integration
from ninja_desk.psa.permissions import (
    CONFIGURE_INTEGRATION,
    READ_ONLY_NO_KEY,
    VIEW_PERMISSIONS,
    current_user_permissions,
)
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession
from ninja_desk.settings import Settings
from ninja_desk.sync.alga_api_key import stored_api_key
from ninja_desk.sync.engine import SyncEngine

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
    identity: Identity | None = None
    # Alga's own NinjaOne integration runs for the tenant: see psa/setup.py run_mode().
    companion: bool = False
    mode_reason: str = ""

    @property
    def read_only_reason(self) -> str | None:
        """Why this desktop may change nothing in the PSA, or None when it may."""
        if self.user_id is None:
            return self.identity.summary() if self.identity else READ_ONLY_NO_KEY
        return None if self.permissions() - VIEW_PERMISSIONS else self.identity_summary()

    def identity_summary(self) -> str:
        if self.identity is not None:
            return self.identity.summary()
        return f"Acting as the local administrator of {self.db.url.rsplit('/', 1)[-1]}."

    @contextmanager
    def tenant_session(
        self, tenant: uuid.UUID | None = None, user_id: Any = None, **kw: Any
    ) -> Iterator[TenantSession]:
        """A session as this desktop's user. Without a user it may only look: the desktop is
        never the system (that is the headless agent)."""
        acting = user_id or self.user_id
        with self.db.tenant_session(tenant or self.tenant, acting, **kw) as s:
            if acting is None:
                s.permission_cache = VIEW_PERMISSIONS
            elif acting == self.user_id and self.identity is not None:
                s.permission_cache = self.permissions()
            yield s

    def session(self) -> AbstractContextManager[TenantSession]:
        return self.tenant_session()

    def reidentify(self, api_key: str | None) -> Identity:
        """Take a new (or no) Alga API key: who this desktop is and what it may do from now
        on. Blocking (one lookup): call it off the UI thread. The in-process agent keeps the
        mode it started with until the next start."""
        if not api_key and not self.db.is_postgres:
            from ninja_desk.psa.tenants import ensure_local_admin

            self.identity, self.user_id = None, ensure_local_admin(self.db).admin_user_id
            return Identity(self.tenant, self.user_id, read_only_reason=None)
        identity = identify_or_read_only(self.db, api_key, self.tenant)
        self.identity = identity
        self.user_id = None if identity.read_only else identity.user_id
        return identity

    def permissions(self) -> frozenset[str]:
        if self.user_id is None:
            return VIEW_PERMISSIONS
        if self.identity is not None:
            return VIEW_PERMISSIONS | self.identity.permissions
        with self.db.tenant_session(self.tenant, self.user_id) as s:
            return current_user_permissions(s)

    def asset_history(self, device_id: int) -> list[dict[str, Any]]:
        from ninja_desk.psa import assets

        with self.session() as s:
            asset = assets.find_by_device(s, self.integration_id, device_id)
            if asset is None:
                return []
            entries = assets.asset_history_for(s, asset.asset_id)
        return [
            {
                "changed_at": e.changed_at.timestamp() if e.changed_at else None,
                # The raw change: the History tab words it itself.
                "change_type": e.change_type,
                "changes": e.changes,
                "source": e.source,
            }
            for e in reversed(entries)  # newest first
        ]

    def record_remote_launch(self, record: Any) -> None:
        """Alga's asset history and audit log, as the signed-in technician (one place:
        remote_connect.record_in_psa)."""
        from ninja_desk.sync.remote_connect import record_in_psa

        with self.session() as s:
            record_in_psa(s, self.integration_id, record)


def open_desktop_psa(
    settings: Settings,
    ninjaone_url: str,
    *,
    user_name: str,
    api_key: str | None = None,
) -> DesktopPsa | None:
    """The configured PSA database as this desktop's user, or None when none is configured.

    The user comes from the Alga API key (`api_key`, else NINJA_DESK_ALGA_API_KEY or the
    keyring). The embedded SQLite default is migrated and, without a key, acted on as its one
    local administrator; a shared database must already be migrated and set up (`ninja-desk psa
    migrate` and `psa setup`), and without a key this desktop is read-only there.
    """
    if not settings.psa_url:
        return None
    from ninja_desk.psa.setup import resolve_tenant, run_mode

    db = PsaDatabase(settings.psa_url)
    key = api_key if api_key is not None else stored_api_key()
    identity: Identity | None
    if db.is_postgres:
        if not settings.psa_tenant:
            raise ValueError("Set the PSA tenant for this PostgreSQL database in Settings.")
        tenant, _name = resolve_tenant(db, settings.psa_tenant)
        identity = identify_or_read_only(db, key, tenant)
        user_id = None if identity.read_only else identity.user_id
    else:
        from ninja_desk.psa.migrator import migrate
        from ninja_desk.psa.tenants import ensure_local_admin

        migrate(settings.psa_url)
        info = ensure_local_admin(db)
        tenant = info.tenant
        if settings.psa_tenant != str(tenant):
            settings.psa_tenant = str(tenant)
        if key:
            identity = identify_or_read_only(db, key, tenant)
            user_id = None if identity.read_only else identity.user_id
        else:
            identity, user_id = None, info.admin_user_id
    with db.tenant_session(tenant, user_id) as s:
        if user_id is None:
            s.permission_cache = VIEW_PERMISSIONS
        found = find_integration(s)
        if found is not None:
            integration = found.integration_id
        elif CONFIGURE_INTEGRATION in current_user_permissions(s):
            integration = connect_integration(s, ninjaone_url, oauth_client_id=settings.client_id)
        else:
            raise LookupError(
                "This PSA tenant has no NinjaOne integration yet; an admin runs `ninja-desk psa "
                "setup` (or connects NinjaOne here with an admin's Alga API key)."
            )
        mode, reason = run_mode(s, integration)
    return DesktopPsa(
        db,
        tenant,
        user_id,
        integration,
        user_name,
        identity,
        companion=mode == COMPANION,
        mode_reason=reason,
    )


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
        from ninja_desk.sync.psa_mirror import PsaMirror

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
            # A read-only desktop writes nothing to the PSA; a companion leaves it to Alga.
            companion=psa.companion or psa.user_id is None,
        )
        self.pipeline = AlertPipeline(
            psa.db,
            psa.tenant,
            psa.integration_id,
            user_id=psa.user_id,
            ninjaone_url=ninjaone_url,
            device_lookup=alert_mirror.device_lookup(cache),
        )
        # Acknowledge / resolve act as the desktop's user; a read-only desktop has none.
        self.alerts = (
            AlertService(self.pipeline, cache=cache, api=engine.api, username=psa.user_name)
            if psa.user_id is not None
            else None
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
        # The asyncio task running `run()`, set by whoever starts it.
        self.task: asyncio.Task[None] | None = None

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
        if self.agent.writes_psa:
            await self.agent.feed_synced_activities()
            await self.agent.push_assets(full=full)
        await self._mirror()
