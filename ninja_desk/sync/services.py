"""The services a desktop window is handed, as Protocols: what the UI may call on them.

The window (ui/) talks to the PSA, the alert actions, the NinjaOne link and the in-process
agent only through these shapes, so a view can be built against a fake in a test and a type
checker sees every call. No Qt here: the implementations live in sync/ and ninjaone/
(`desktop_runtime.DesktopPsa`, `alert_service.AlertService`, `desktop_runtime.DesktopAgent`,
`ninjaone.connection.NinjaOneLink`).

Every method below that says "blocking" reaches a database or the OS keyring: the UI calls it
through ui/settings/background.run_job, never on its own thread.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # types only: importing these at run time would load SQLAlchemy schemas
    import uuid

    from ninja_desk.ninjaone.connection import ConnectionStatus
    from ninja_desk.psa.identity import Identity
    from ninja_desk.psa.tenancy import PsaDatabase, TenantSession
    from ninja_desk.sync.alert_service import ActionResult
    from ninja_desk.sync.remote_connect import LaunchRecord


class PsaService(Protocol):
    """The PSA database as this desktop's user (`ctx.psa`)."""

    db: PsaDatabase
    tenant: uuid.UUID
    user_id: uuid.UUID | None
    integration_id: uuid.UUID
    user_name: str
    # Alga's own NinjaOne integration runs for the tenant (psa/setup.py run_mode) and why.
    companion: bool
    mode_reason: str

    @property
    def read_only_reason(self) -> str | None: ...

    def identity_summary(self) -> str: ...

    def tenant_session(
        self, tenant: uuid.UUID | None = None, user_id: Any = None, **kw: Any
    ) -> AbstractContextManager[TenantSession]: ...

    def permissions(self) -> frozenset[str]:
        """Blocking: the signed-in user's Alga rights."""
        ...

    def reidentify(self, api_key: str | None) -> Identity:
        """Blocking: who this desktop acts as under a new (or no) Alga API key."""
        ...

    def asset_history(self, device_id: int) -> list[dict[str, Any]]:
        """Blocking: the device's asset history in the PSA, newest first."""
        ...

    def record_remote_launch(self, record: LaunchRecord) -> None:
        """Blocking: a remote session in the asset history and the audit log."""
        ...


class AlertActions(Protocol):
    """Acknowledge, resolve and ticket an alert (`ctx.alerts`); each awaits the PSA."""

    async def acknowledge(self, uid: str) -> ActionResult: ...

    async def resolve(self, uid: str, reset_in_ninjaone: bool = False) -> ActionResult: ...

    async def create_ticket(self, uid: str) -> ActionResult: ...

    async def explain(self, uid: str) -> dict[str, Any]: ...


class BackgroundServices(Protocol):
    """The in-process agent (`ctx.background`): relay feed, schedules, PSA mirror."""

    on_changed: Callable[[], None]
    on_relay_state: Callable[[str], None]
    task: asyncio.Task[None] | None

    @property
    def alerts(self) -> AlertActions | None:
        """None on a read-only desktop: it may not act on alerts."""
        ...

    async def run(self) -> None: ...

    def stop(self) -> None: ...

    async def after_sync(self, full: bool) -> None:
        """After the window's own sync: assets to the PSA, new conditions to the pipeline."""
        ...


class NinjaOneLinkService(Protocol):
    """Sign-in, disconnect and webhook registration (`ctx.ninjaone`); keyring work inside
    these coroutines runs off the UI thread."""

    status: ConnectionStatus
    authorize_url: str | None
    on_authorize_url: Callable[[str], None] | None
    on_browser_failed: Callable[[str], None] | None

    def current(self) -> tuple[str | None, str | None]: ...

    async def connect(self, *args: Any, **kwargs: Any) -> Any: ...

    def cancel_connect(self) -> None: ...

    async def disconnect(self, **kwargs: Any) -> Any: ...

    async def register_webhook(self, **kwargs: Any) -> Any: ...

    def store_endpoint_secret(self, value: str) -> None:
        """Blocking (keyring)."""
        ...

    def has_endpoint_secret(self) -> bool:
        """Blocking (keyring)."""
        ...
