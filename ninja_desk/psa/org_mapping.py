"""NinjaOne organizations -> PSA clients.

Every organization the sync has seen has a row in `rmm_organization_mappings`; a NULL client
means "seen, not mapped". Mapping, creating a client from an org, auto-sync and bulk mapping
need `org_mapping.configure` (an admin by default); recording which orgs exist only needs the
right to sync, so the appear/vanish report works from any technician's desktop.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from ninja_desk.core.organizations import Organization
from ninja_desk.psa import audit
from ninja_desk.psa.clients import Client, create_client, list_clients
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.permissions import CONFIGURE_ORG_MAPPING, SYNC_DEVICES, require
from ninja_desk.psa.schema import rmm_organization_mappings as m
from ninja_desk.psa.tenancy import TenantSession

_SUFFIXES = {
    "ltd",
    "limited",
    "inc",
    "incorporated",
    "llc",
    "llp",
    "lp",
    "gmbh",
    "ag",
    "co",
    "corp",
    "corporation",
    "company",
    "plc",
    "pty",
    "bv",
    "sa",
    "sarl",
    "srl",
    "ab",
    "oy",
    "as",
    "kg",
    "ug",
    "the",
}


def normalise_company_name(name: str) -> str:
    """'The ACME, Ltd.' -> 'acme': case, accents, punctuation and legal suffixes dropped."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    text = text.replace("&", " and ")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    while words and words[-1] in _SUFFIXES:
        words.pop()
    while words and words[0] == "the":
        words.pop(0)
    return " ".join(words)


@dataclass(frozen=True, slots=True)
class OrgMappingState:
    organization: Organization
    client_id: uuid.UUID | None
    client_name: str | None
    auto_sync: bool
    suggestions: tuple[Client, ...]
    first_seen_at: datetime | None
    vanished_at: datetime | None

    @property
    def mapped(self) -> bool:
        return self.client_id is not None


@dataclass(frozen=True, slots=True)
class OrgChanges:
    appeared: tuple[Organization, ...]
    vanished: tuple[tuple[str, str], ...]  # (external org id, last known name)


@dataclass(frozen=True, slots=True)
class MappingRow:
    external_organization_id: str
    name: str
    client_id: uuid.UUID | None
    auto_sync: bool
    first_seen_at: datetime
    last_seen_at: datetime
    vanished_at: datetime | None


def suggest_clients(org: Organization, clients: Sequence[Client]) -> tuple[Client, ...]:
    key = normalise_company_name(org.name)
    if not key:
        return ()
    return tuple(c for c in clients if normalise_company_name(c.name) == key)


def load_mappings(s: TenantSession, integration_id: uuid.UUID) -> dict[str, MappingRow]:
    rows = s.conn.execute(
        sa.select(
            m.c.external_organization_id,
            m.c.external_organization_name,
            m.c.client_id,
            m.c.auto_sync_assets,
            m.c.first_seen_at,
            m.c.last_seen_at,
            m.c.vanished_at,
        ).where(m.c.tenant == s.tenant, m.c.integration_id == integration_id)
    )
    return {r[0]: MappingRow(*r) for r in rows}


def list_org_mappings(
    s: TenantSession, integration_id: uuid.UUID, organizations: Sequence[Organization]
) -> list[OrgMappingState]:
    """Each NinjaOne org with its mapping state and, when unmapped, name-based suggestions."""
    clients = list_clients(s)
    names = {c.client_id: c.name for c in clients}
    existing = load_mappings(s, integration_id)
    result = []
    for org in sorted(organizations, key=lambda o: o.name.lower()):
        row = existing.get(str(org.id))
        client_id = row.client_id if row else None
        result.append(
            OrgMappingState(
                organization=org,
                client_id=client_id,
                client_name=names.get(client_id) if client_id else None,
                auto_sync=row.auto_sync if row else True,
                suggestions=() if client_id else suggest_clients(org, clients),
                first_seen_at=row.first_seen_at if row else None,
                vanished_at=row.vanished_at if row else None,
            )
        )
    return result


def record_seen_organizations(
    s: TenantSession, integration_id: uuid.UUID, organizations: Sequence[Organization]
) -> OrgChanges:
    """Remember which orgs NinjaOne has now; report those that appeared or vanished since."""
    require(s, SYNC_DEVICES)
    now = utcnow()
    existing = load_mappings(s, integration_id)
    current = {str(o.id): o for o in organizations}
    appeared = [
        o
        for key, o in current.items()
        if key not in existing or existing[key].vanished_at is not None
    ]
    vanished = [
        (k, r.name) for k, r in existing.items() if k not in current and r.vanished_at is None
    ]
    new_rows = [
        {
            "tenant": s.tenant,
            "mapping_id": uuid.uuid4(),
            "integration_id": integration_id,
            "external_organization_id": key,
            "external_organization_name": o.name,
            "first_seen_at": now,
            "last_seen_at": now,
            "updated_at": now,
        }
        for key, o in current.items()
        if key not in existing
    ]
    if new_rows:
        s.conn.execute(m.insert(), new_rows)
    seen = [{"k": key, "n": o.name} for key, o in current.items() if key in existing]
    if seen:
        s.conn.execute(
            m.update()
            .where(
                m.c.tenant == s.tenant,
                m.c.integration_id == integration_id,
                m.c.external_organization_id == sa.bindparam("k"),
            )
            .values(
                external_organization_name=sa.bindparam("n"), last_seen_at=now, vanished_at=None
            ),
            seen,
        )
    if vanished:
        s.conn.execute(
            m.update()
            .where(
                m.c.tenant == s.tenant,
                m.c.integration_id == integration_id,
                m.c.external_organization_id.in_([k for k, _ in vanished]),
            )
            .values(vanished_at=now)
        )
    return OrgChanges(tuple(appeared), tuple(vanished))


def _upsert(
    s: TenantSession,
    integration_id: uuid.UUID,
    org: Organization,
    *,
    known: dict[str, MappingRow] | None = None,
    **values: object,
) -> dict[str, object]:
    """Write one mapping row; returns the old values of the changed fields for the audit."""
    now = utcnow()
    key = str(org.id)
    old = (known if known is not None else load_mappings(s, integration_id)).get(key)
    if old is None:
        s.conn.execute(
            m.insert().values(
                tenant=s.tenant,
                mapping_id=uuid.uuid4(),
                integration_id=integration_id,
                external_organization_id=key,
                external_organization_name=org.name,
                first_seen_at=now,
                last_seen_at=now,
                updated_at=now,
                updated_by=s.user_id,
                **values,
            )
        )
        return {"client_id": None, "auto_sync_assets": True}
    s.conn.execute(
        m.update()
        .where(
            m.c.tenant == s.tenant,
            m.c.integration_id == integration_id,
            m.c.external_organization_id == key,
        )
        .values(updated_at=now, updated_by=s.user_id, **values)
    )
    return {"client_id": old.client_id, "auto_sync_assets": old.auto_sync}


def map_organization(
    s: TenantSession,
    integration_id: uuid.UUID,
    org: Organization,
    client_id: uuid.UUID | None,
    *,
    auto_sync: bool = True,
    _known: dict[str, MappingRow] | None = None,
) -> None:
    """Map to an existing client, or pass None to leave the org unmapped."""
    require(s, CONFIGURE_ORG_MAPPING)
    new = {"client_id": client_id, "auto_sync_assets": auto_sync}
    old = _upsert(s, integration_id, org, known=_known, **new)
    audit.record(
        s,
        "org_mapping.mapped" if client_id else "org_mapping.unmapped",
        "rmm_organization_mapping",
        org.id,
        {"organization": org.name, **audit.diff(old, new)},
    )


def create_client_from_organization(
    s: TenantSession, integration_id: uuid.UUID, org: Organization, *, auto_sync: bool = True
) -> uuid.UUID:
    require(s, CONFIGURE_ORG_MAPPING)
    client_id = create_client(s, org.name, notes=org.description)
    map_organization(s, integration_id, org, client_id, auto_sync=auto_sync)
    return client_id


def set_auto_sync(
    s: TenantSession, integration_id: uuid.UUID, org: Organization, enabled: bool
) -> None:
    require(s, CONFIGURE_ORG_MAPPING)
    old = _upsert(s, integration_id, org, auto_sync_assets=enabled)
    change = {"old": old["auto_sync_assets"], "new": enabled}
    audit.record(
        s,
        "org_mapping.auto_sync",
        "rmm_organization_mapping",
        org.id,
        {"organization": org.name, "auto_sync_assets": change},
    )


def bulk_map(
    s: TenantSession,
    integration_id: uuid.UUID,
    pairs: Iterable[tuple[Organization, uuid.UUID | None]],
    *,
    auto_sync: bool = True,
) -> int:
    """Map many orgs in one transaction (all or nothing). Returns how many were written."""
    require(s, CONFIGURE_ORG_MAPPING)
    known = load_mappings(s, integration_id)  # once, not per org
    latest = {o.id: (o, c) for o, c in pairs}  # an org listed twice: the last choice wins
    count = 0
    for org, client_id in latest.values():
        map_organization(s, integration_id, org, client_id, auto_sync=auto_sync, _known=known)
        count += 1
    return count


def map_by_suggestion(
    s: TenantSession, integration_id: uuid.UUID, organizations: Sequence[Organization]
) -> int:
    """Bulk-map every unmapped org that has exactly one name match."""
    pairs = [
        (st.organization, st.suggestions[0].client_id)
        for st in list_org_mappings(s, integration_id, organizations)
        if not st.mapped and len(st.suggestions) == 1
    ]
    return bulk_map(s, integration_id, pairs)
