"""Headless set-up of NinjaDesk on a PSA database (`ninja-desk psa setup` and `psa map`).

`setup()` links NinjaOne for one tenant in Alga's own `rmm_integrations` row (the one Alga's
NinjaOne integration uses, if it exists: Alga allows one per tenant and provider), with settings
keys merged into Alga's, and records how NinjaDesk runs there in
`ninjadesk_integration_settings`: the board for alert tickets (by name), the service user its
automatic writes are recorded as (an active internal Alga user, by e-mail), Alga's Redis for
events, and the mode:

- companion: Alga's own NinjaOne integration is running for the tenant; NinjaDesk syncs its own
  cache, reads Alga's assets, alerts and tickets and remote-connects, but never pushes assets
  or makes alert tickets (two writers would make two tickets for one alert);
- primary: NinjaDesk pushes assets and makes alert tickets. `--take-over` gets there from
  companion by switching Alga's own device sync and alert polling off (deviceSync.enabled and
  alertPolling.enabled false, merged into the row's settings as Alga's own UI writes them).

`run_mode()` is what the agent and the desktop ask before writing.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from ninja_desk.core.organizations import Organization
from ninja_desk.psa.clients import list_clients
from ninja_desk.psa.errors import PsaError
from ninja_desk.psa.integration_settings import (
    COMPANION,
    PRIMARY,
    IntegrationSettings,
    load_settings,
    save_settings,
)
from ninja_desk.psa.integrations import (
    Integration,
    connect_integration,
    find_integration,
    get_integration,
    require_integration,
    update_settings,
)
from ninja_desk.psa.schema import (
    boards,
    ninjadesk_integration_settings,
    rmm_organization_mappings,
    tenants,
    users,
)
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession

# NinjaDesk's region names -> the words Alga keeps in rmm_integrations.settings.region.
ALGA_REGIONS = {"app": "US", "us": "US", "us2": "US2", "eu": "EU", "ca": "CA", "oc": "OC"}
TAKE_OVER: dict[str, Any] = {"deviceSync": {"enabled": False}, "alertPolling": {"enabled": False}}


class SetupError(PsaError):
    """Set-up cannot go on; the message says what to do."""


@dataclass
class SetupResult:
    tenant: str
    client_name: str
    integration_id: str
    created_integration: bool
    mode: str
    mode_reason: str
    took_over: bool
    instance_url: str
    board: dict[str, str] | None
    service_user: dict[str, str] | None
    alga_redis_url_configured: bool
    rmm_settings: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def resolve_tenant(psa: PsaDatabase, spec: str) -> tuple[uuid.UUID, str]:
    """A tenant by uuid or by `tenants.client_name` (case-insensitive, must be unique)."""
    t = tenants.c
    with psa.engine.connect() as conn:
        try:
            wanted = uuid.UUID(spec)
        except ValueError:
            rows = conn.execute(
                sa.select(t.tenant, t.client_name).where(
                    sa.func.lower(t.client_name) == spec.strip().lower()
                )
            ).all()
        else:
            rows = conn.execute(sa.select(t.tenant, t.client_name).where(t.tenant == wanted)).all()
        if len(rows) == 1:
            return rows[0].tenant, rows[0].client_name
        known = [
            r.client_name for r in conn.execute(sa.select(t.client_name).order_by(t.client_name))
        ]
    if not rows:
        listed = ", ".join(f"'{n}'" for n in known) or "none"
        raise SetupError(f"There is no tenant '{spec}' in this database (tenants: {listed}).")
    raise SetupError(f"Several tenants are called '{spec}'; pass the tenant's uuid instead.")


def require_migrated(psa: PsaDatabase) -> None:
    from ninja_desk.psa.migrator import check_schema

    with psa.engine.connect() as conn:
        try:
            check_schema(conn)
        except PsaError as exc:
            raise SetupError(str(exc)) from None


def run_mode(s: TenantSession, integration_id: uuid.UUID) -> tuple[str, str]:
    """(mode, reason) for NinjaDesk in this tenant now.

    Companion when set up so, or when Alga's own NinjaOne sync is running (again): a primary
    set-up whose Alga sync was switched back on runs as a companion until `--take-over` again,
    so one alert never gets a ticket from both.
    """
    integration = get_integration(s, integration_id)
    stored = load_settings(s, integration_id)
    if stored.mode == COMPANION:
        return COMPANION, (
            "NinjaDesk runs as a companion of Alga's own NinjaOne integration (set up so); "
            "`ninja-desk psa setup --take-over` hands asset sync and alert tickets to NinjaDesk."
        )
    if integration.alga_syncing:
        return COMPANION, (
            "Alga's own NinjaOne integration is active for this tenant, so NinjaDesk runs as a "
            "companion (no asset push, no alert tickets); `ninja-desk psa setup --take-over` "
            "hands both to NinjaDesk."
        )
    return PRIMARY, "NinjaDesk pushes assets and makes alert tickets for this tenant."


def _board(s: TenantSession, name: str) -> tuple[uuid.UUID, str]:
    b = boards.c
    rows = s.conn.execute(
        sa.select(b.board_id, b.board_name, b.is_inactive).where(
            b.tenant == s.tenant, sa.func.lower(b.board_name) == name.strip().lower()
        )
    ).all()
    if not rows:
        names = s.conn.scalars(
            sa.select(b.board_name).where(b.tenant == s.tenant).order_by(b.board_name)
        ).all()
        raise SetupError(
            f"There is no board '{name}' in this tenant (boards: "
            f"{', '.join(repr(n) for n in names) or 'none'})."
        )
    row = rows[0]
    if row.is_inactive:
        raise SetupError(f"The board '{row.board_name}' is inactive in Alga; choose another.")
    return row.board_id, row.board_name


def _service_user(s: TenantSession, email: str) -> tuple[uuid.UUID, str]:
    u = users.c
    row = s.conn.execute(
        sa.select(u.user_id, u.email, u.is_inactive, u.user_type).where(
            u.tenant == s.tenant, sa.func.lower(u.email) == email.strip().lower()
        )
    ).first()
    if row is None:
        raise SetupError(f"There is no Alga user with the e-mail {email} in this tenant.")
    if row.is_inactive:
        raise SetupError(f"The Alga user {row.email} is deactivated; choose an active user.")
    if row.user_type != "internal":
        raise SetupError(
            f"{row.email} is a client-portal user; the service user must be an MSP (internal) user."
        )
    return row.user_id, row.email


def _same_host(a: str | None, b: str) -> bool:
    return (a or "").rstrip("/").lower() == b.rstrip("/").lower()


def setup(
    url: str,
    *,
    tenant: str,
    instance_url: str,
    client_id: str,
    region: str | None = None,
    board: str | None = None,
    service_user: str | None = None,
    alga_redis_url: str | None = None,
    take_over: bool = False,
) -> SetupResult:
    """Link NinjaOne and record NinjaDesk's settings for one tenant (idempotent)."""
    if alga_redis_url and urlsplit(alga_redis_url).password:
        raise SetupError(
            "Leave the password out of --alga-redis-url: it would be stored in the database. "
            "Give it to the agent in NINJA_DESK_ALGA_REDIS_PASSWORD instead."
        )
    psa = PsaDatabase(url)
    try:
        require_migrated(psa)
        tenant_id, client_name = resolve_tenant(psa, tenant)
        with psa.tenant_session(tenant_id) as s:
            return _setup_in(
                s,
                client_name,
                instance_url=instance_url,
                client_id=client_id,
                region=region,
                board=board,
                service_user=service_user,
                alga_redis_url=alga_redis_url,
                take_over=take_over,
            )
    finally:
        psa.dispose()


def _setup_in(
    s: TenantSession,
    client_name: str,
    *,
    instance_url: str,
    client_id: str,
    region: str | None,
    board: str | None,
    service_user: str | None,
    alga_redis_url: str | None,
    take_over: bool,
) -> SetupResult:
    suspended = s.conn.scalar(sa.select(tenants.c.suspended_at).where(tenants.c.tenant == s.tenant))
    if suspended is not None:
        raise SetupError(f"The tenant '{client_name}' is suspended in Alga.")
    notes: list[str] = []
    existing = find_integration(s)
    had_settings = existing is not None and _has_own_settings(s, existing.integration_id)
    alga_running = existing is not None and existing.alga_syncing
    other_host = (
        existing is not None
        and existing.instance_url
        and not _same_host(existing.instance_url, instance_url)
    )
    if existing is not None and alga_running and not take_over and other_host:
        raise SetupError(
            f"Alga's own NinjaOne integration for this tenant uses {existing.instance_url}, "
            f"not {instance_url}; NinjaDesk must use the same NinjaOne instance (or "
            "`--take-over`)."
        )
    patch: dict[str, Any] = {}
    if region:
        alga_region = ALGA_REGIONS.get(region.lower())
        if alga_region is None:
            raise SetupError(
                f"Unknown NinjaOne region '{region}'. Use one of: app, us2, eu, ca, oc."
            )
        patch["region"] = alga_region
    integration_id = connect_integration(s, instance_url, oauth_client_id=client_id, settings=patch)
    if take_over:
        if alga_running:
            notes.append(
                "Alga's own NinjaOne device sync and alert polling are now off for this tenant "
                "(rmm_integrations.settings deviceSync.enabled / alertPolling.enabled = false)."
            )
        update_settings(s, integration_id, TAKE_OVER)
    stored = load_settings(s, integration_id)
    board_id, board_name = stored.board_id, None
    if board:
        board_id, board_name = _board(s, board)
    elif board_id is not None:
        board_name = s.conn.scalar(
            sa.select(boards.c.board_name).where(
                boards.c.tenant == s.tenant, boards.c.board_id == board_id
            )
        )
    user_id, user_email = stored.service_user_id, None
    if service_user:
        user_id, user_email = _service_user(s, service_user)
    elif user_id is not None:
        user_email = s.conn.scalar(
            sa.select(users.c.email).where(users.c.tenant == s.tenant, users.c.user_id == user_id)
        )
    if user_id is None:
        notes.append(
            "No service user yet: pass --service-user EMAIL (an active internal Alga user) so "
            "NinjaDesk's automatic changes are recorded as someone real."
        )
    if board_id is None:
        notes.append("No board chosen: alert tickets go to the tenant's default board.")
    mode = PRIMARY if take_over or not alga_running else COMPANION
    if had_settings and stored.mode == PRIMARY and alga_running and not take_over:
        notes.append(
            "Alga's own NinjaOne sync is on again, so NinjaDesk switches to companion; pass "
            "--take-over to stay primary."
        )
    save_settings(
        s,
        IntegrationSettings(
            integration_id,
            mode,
            board_id,
            user_id,
            stored.severity_priorities,
            alga_redis_url if alga_redis_url is not None else stored.alga_redis_url,
        ),
    )
    final = get_integration(s, integration_id)
    _, reason = run_mode(s, integration_id)
    redis = alga_redis_url if alga_redis_url is not None else stored.alga_redis_url
    if not redis:
        from ninja_desk.psa.check import NO_REDIS

        notes.append(NO_REDIS)
    return SetupResult(
        tenant=str(s.tenant),
        client_name=client_name,
        integration_id=str(integration_id),
        created_integration=existing is None,
        mode=mode,
        mode_reason=reason,
        took_over=take_over,
        instance_url=final.instance_url or instance_url,
        board={"board_id": str(board_id), "name": board_name or ""} if board_id else None,
        service_user={"user_id": str(user_id), "email": user_email or ""} if user_id else None,
        alga_redis_url_configured=bool(redis),
        rmm_settings=_public_settings(final),
        notes=notes,
    )


def _has_own_settings(s: TenantSession, integration_id: uuid.UUID) -> bool:
    n = ninjadesk_integration_settings.c
    found = s.conn.scalar(
        sa.select(n.integration_id)
        .where(n.tenant == s.tenant, n.integration_id == integration_id)
        .limit(1)
    )
    return found is not None


_SECRET_KEYS = {"webhookSecret", "tokenLifecycle"}


def _public_settings(integration: Integration) -> dict[str, Any]:
    """The row's settings without secrets (what `psa setup --json` prints)."""
    return {
        k: ("(set)" if k in _SECRET_KEYS and v else v)
        for k, v in sorted(integration.settings.items())
    }


# -- psa map --------------------------------------------------------------------------------------


@dataclass
class MapResult:
    tenant: str
    integration_id: str
    organizations: int
    source: str
    mapped: list[dict[str, str]] = field(default_factory=list)
    created_clients: list[dict[str, str]] = field(default_factory=list)
    already_mapped: int = 0
    unmapped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def organizations_from_psa(s: TenantSession, integration_id: uuid.UUID) -> list[Organization]:
    """The orgs a sync has recorded in `rmm_organization_mappings` (Alga's or NinjaDesk's)."""
    m = rmm_organization_mappings.c
    rows = s.conn.execute(
        sa.select(m.external_organization_id, m.external_organization_name).where(
            m.tenant == s.tenant, m.integration_id == integration_id
        )
    ).all()
    out = []
    for row in rows:
        try:
            org_id = int(row.external_organization_id)
        except ValueError:
            continue
        out.append(Organization(id=org_id, name=row.external_organization_name or str(org_id)))
    return out


def auto_map(
    psa: PsaDatabase,
    tenant: uuid.UUID,
    cached_orgs: list[Organization],
    *,
    create_clients: bool = False,
) -> MapResult:
    """Map every unmapped organization to the one client whose name matches it; with
    `create_clients`, make a client for each org that matches none. Orgs come from the local
    cache of the last sync, else from the rows a sync left in rmm_organization_mappings."""
    from ninja_desk.psa import org_mapping

    with psa.tenant_session(tenant) as s:
        iid = require_integration(s).integration_id
        source = "the local cache"
        orgs = {o.id: o for o in cached_orgs}
        for o in organizations_from_psa(s, iid):
            orgs.setdefault(o.id, o)
        if not cached_orgs:
            source = "rmm_organization_mappings"
        organizations = sorted(orgs.values(), key=lambda o: o.name.lower())
        result = MapResult(str(tenant), str(iid), len(organizations), source)
        result.already_mapped = sum(
            1 for st in org_mapping.list_org_mappings(s, iid, organizations) if st.mapped
        )
        done = org_mapping.auto_map(s, iid, organizations, create_clients=create_clients)
        clients = {c.client_id: c.name for c in list_clients(s, include_inactive=True)}
        for org, client_id in done.mapped:
            result.mapped.append(
                {
                    "organization_id": str(org.id),
                    "organization": org.name,
                    "client_id": str(client_id),
                    "client": clients.get(client_id, org.name),
                }
            )
        for org, client_id in done.created:
            result.created_clients.append(
                {
                    "organization_id": str(org.id),
                    "organization": org.name,
                    "client_id": str(client_id),
                }
            )
        for org, reason in done.unmapped:
            result.unmapped.append(
                {"organization_id": str(org.id), "organization": org.name, "reason": reason}
            )
    return result
