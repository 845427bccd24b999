"""NinjaOne organizations -> Alga clients, in Alga's `rmm_organization_mappings`.

Every organization the sync has seen has a row; a NULL client_id means "seen, not mapped" (as
in Alga). `auto_sync_assets` off keeps the push's hands off that org's devices. What only
NinjaDesk tracks (when an org was first seen, last seen, vanished; who mapped it and when) lives
under the `ninjadesk` key of the row's `metadata`, merged: other keys are Alga's and are kept.
Mapping, creating a client from an org, auto-sync and bulk mapping need `org_mapping.configure`
(Alga's settings:update); recording which orgs exist only needs the right to sync, so the
appear/vanish report works from any technician's desktop.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.core.organizations import Organization
from ninja_desk.psa.clients import Client, create_client, find_client_by_name, list_clients
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import NotFound
from ninja_desk.psa.permissions import CONFIGURE_ORG_MAPPING, SYNC_DEVICES, require
from ninja_desk.psa.schema import clients as client_table
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
    name: str | None
    client_id: uuid.UUID | None
    auto_sync: bool
    metadata: dict[str, Any]

    def _ours(self, key: str) -> datetime | None:
        value = (self.metadata.get(_OURS) or {}).get(key)
        return datetime.fromisoformat(value) if isinstance(value, str) else None

    @property
    def first_seen_at(self) -> datetime | None:
        return self._ours("firstSeenAt")

    @property
    def last_seen_at(self) -> datetime | None:
        return self._ours("lastSeenAt")

    @property
    def vanished_at(self) -> datetime | None:
        return self._ours("vanishedAt")


@dataclass(frozen=True, slots=True)
class AutoMapResult:
    """What `auto_map` did: orgs mapped to an existing client, clients it created, and the orgs
    that stay unmapped with the reason (a sentence)."""

    mapped: tuple[tuple[Organization, uuid.UUID], ...]
    created: tuple[tuple[Organization, uuid.UUID], ...]
    unmapped: tuple[tuple[Organization, str], ...]


_OURS = "ninjadesk"


def _merged(metadata: dict[str, Any] | None, **ours: Any) -> dict[str, Any]:
    out = dict(metadata or {})
    mine = dict(out.get(_OURS) or {})
    mine.update({k: v.isoformat() if isinstance(v, datetime) else v for k, v in ours.items()})
    out[_OURS] = mine
    return out


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
            m.c.metadata,
        ).where(m.c.tenant == s.tenant, m.c.integration_id == integration_id)
    )
    return {r[0]: MappingRow(r[0], r[1], r[2], r[3], dict(r[4] or {})) for r in rows}


def known_organizations(s: TenantSession, integration_id: uuid.UUID) -> list[Organization]:
    """The orgs the sync has recorded (present ones), for callers without a NinjaOne cache."""
    rows = load_mappings(s, integration_id).values()
    return [
        Organization(id=int(r.external_organization_id), name=r.name or r.external_organization_id)
        for r in sorted(rows, key=lambda r: (r.name or "").lower())
        if r.vanished_at is None and r.external_organization_id.isdigit()
    ]


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
        (k, r.name or k) for k, r in existing.items() if k not in current and r.vanished_at is None
    ]
    new_rows = [
        {
            "tenant": s.tenant,
            "mapping_id": uuid.uuid4(),
            "integration_id": integration_id,
            "external_organization_id": key,
            "external_organization_name": o.name,
            "client_id": None,
            "auto_sync_assets": True,
            "metadata": _merged(None, firstSeenAt=now, lastSeenAt=now),
            "created_at": now,
            "updated_at": now,
        }
        for key, o in current.items()
        if key not in existing
    ]
    if new_rows:
        s.conn.execute(m.insert(), new_rows)
    changed = [
        {
            "k": key,
            "n": o.name,
            "md": _merged(existing[key].metadata, lastSeenAt=now, vanishedAt=None),
        }
        for key, o in current.items()
        if key in existing
    ] + [
        {"k": key, "n": name, "md": _merged(existing[key].metadata, vanishedAt=now)}
        for key, name in vanished
    ]
    if changed:
        s.conn.execute(
            m.update()
            .where(
                m.c.tenant == s.tenant,
                m.c.integration_id == integration_id,
                m.c.external_organization_id == sa.bindparam("k"),
            )
            .values(
                external_organization_name=sa.bindparam("n"),
                metadata=sa.bindparam("md", type_=m.c.metadata.type),
                updated_at=now,
            ),
            changed,
        )
    return OrgChanges(tuple(appeared), tuple(vanished))


def _upsert(
    s: TenantSession,
    integration_id: uuid.UUID,
    org: Organization,
    *,
    known: dict[str, MappingRow] | None = None,
    how: str,
    **values: object,
) -> None:
    now = utcnow()
    key = str(org.id)
    old = (known if known is not None else load_mappings(s, integration_id)).get(key)
    stamp = {"changedBy": str(s.user_id) if s.user_id else None, "changedAt": now, "how": how}
    if old is None:
        s.insert(
            m,
            mapping_id=uuid.uuid4(),
            integration_id=integration_id,
            external_organization_id=key,
            external_organization_name=org.name,
            metadata=_merged(None, firstSeenAt=now, lastSeenAt=now, **stamp),
            created_at=now,
            updated_at=now,
            **values,
        )
        return
    s.conn.execute(
        m.update()
        .where(
            m.c.tenant == s.tenant,
            m.c.integration_id == integration_id,
            m.c.external_organization_id == key,
        )
        .values(updated_at=now, metadata=_merged(old.metadata, **stamp), **values)
    )


def _check_clients(s: TenantSession, client_ids: Sequence[uuid.UUID]) -> None:
    """Every id a client of this tenant (PostgreSQL's foreign key says so too; SQLite's
    schema has no key on this column)."""
    wanted = set(client_ids)
    if not wanted:
        return
    found = set(
        s.conn.scalars(
            sa.select(client_table.c.client_id).where(
                client_table.c.tenant == s.tenant,
                client_table.c.client_id.in_(sorted(wanted, key=str)),
            )
        )
    )
    if wanted - found:
        raise NotFound("That client does not exist in this tenant; refresh the client list.")


def map_organization(
    s: TenantSession,
    integration_id: uuid.UUID,
    org: Organization,
    client_id: uuid.UUID | None,
    *,
    auto_sync: bool = True,
    _known: dict[str, MappingRow] | None = None,
    _how: str = "manual",
) -> None:
    """Map to an existing client, or pass None to leave the org unmapped."""
    require(s, CONFIGURE_ORG_MAPPING)
    if client_id is not None and _known is None:
        _check_clients(s, [client_id])
    _upsert(
        s,
        integration_id,
        org,
        known=_known,
        how=_how if client_id else "unmapped",
        client_id=client_id,
        auto_sync_assets=auto_sync,
    )


def create_client_from_organization(
    s: TenantSession, integration_id: uuid.UUID, org: Organization, *, auto_sync: bool = True
) -> uuid.UUID:
    require(s, CONFIGURE_ORG_MAPPING)
    client_id = create_client(s, org.name, notes=org.description)
    map_organization(s, integration_id, org, client_id, auto_sync=auto_sync, _how="created_client")
    return client_id


def set_auto_sync(
    s: TenantSession, integration_id: uuid.UUID, org: Organization, enabled: bool
) -> None:
    require(s, CONFIGURE_ORG_MAPPING)
    _upsert(s, integration_id, org, how="auto_sync", auto_sync_assets=enabled)


def bulk_map(
    s: TenantSession,
    integration_id: uuid.UUID,
    pairs: Iterable[tuple[Organization, uuid.UUID | None]],
    *,
    auto_sync: bool = True,
    _how: str = "manual",
) -> int:
    """Map many orgs in one transaction (all or nothing). Returns how many were written."""
    require(s, CONFIGURE_ORG_MAPPING)
    known = load_mappings(s, integration_id)  # once, not per org
    latest = {o.id: (o, c) for o, c in pairs}  # an org listed twice: the last choice wins
    _check_clients(s, [c for _, c in latest.values() if c is not None])
    for org, client_id in latest.values():
        map_organization(
            s, integration_id, org, client_id, auto_sync=auto_sync, _known=known, _how=_how
        )
    return len(latest)


def map_by_suggestion(
    s: TenantSession, integration_id: uuid.UUID, organizations: Sequence[Organization]
) -> int:
    """Bulk-map every unmapped org that has exactly one name match. Returns how many."""
    return len(auto_map(s, integration_id, organizations).mapped)


def auto_map(
    s: TenantSession,
    integration_id: uuid.UUID,
    organizations: Sequence[Organization],
    *,
    create_clients: bool = False,
) -> AutoMapResult:
    """`psa map --auto [--create-clients]`: map each unmapped org whose name matches exactly one
    client; with `create_clients`, give an org that matches none a new client of its name.
    Orgs already mapped are left as they are. Returns what stays unmapped and why."""
    require(s, CONFIGURE_ORG_MAPPING)
    mapped: list[tuple[Organization, uuid.UUID]] = []
    created: list[tuple[Organization, uuid.UUID]] = []
    unmapped: list[tuple[Organization, str]] = []
    made: dict[str, uuid.UUID] = {}  # two orgs of one name share the client made for the first
    for st in list_org_mappings(s, integration_id, organizations):
        org = st.organization
        if st.mapped:
            continue
        if len(st.suggestions) == 1:
            mapped.append((org, st.suggestions[0].client_id))
        elif st.suggestions:
            names = ", ".join(sorted(c.name for c in st.suggestions))
            unmapped.append((org, f"Several clients match its name ({names}); choose one."))
        elif not create_clients:
            unmapped.append(
                (org, "No client has a matching name; map it by hand or use --create-clients.")
            )
        elif org.name.strip() in made:
            mapped.append((org, made[org.name.strip()]))
        elif find_client_by_name(s, org.name) is not None:
            unmapped.append(
                (
                    org,
                    f"An inactive client is named '{org.name.strip()}'; reactivate it or map "
                    "the organization by hand.",
                )
            )
        else:
            made[org.name.strip()] = create_client(s, org.name, notes=org.description)
            created.append((org, made[org.name.strip()]))
    bulk_map(s, integration_id, mapped, _how="suggestion")
    bulk_map(s, integration_id, created, _how="created_client")
    # The rest is recorded as "seen, not mapped", so Alga's mapping screen lists it too.
    known = load_mappings(s, integration_id)
    for org, _why in unmapped:
        if str(org.id) not in known:
            _upsert(s, integration_id, org, known=known, how="seen", client_id=None)
    return AutoMapResult(tuple(mapped), tuple(created), tuple(unmapped))
