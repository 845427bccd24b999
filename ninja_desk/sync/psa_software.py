"""Software inventory in Alga's tables: `software_catalog` per tenant + `asset_software` rows.

As Alga's own sync keeps them: a catalog title is (normalized_name = lower(trim(name)),
publisher), unique per tenant; an asset's row has first_seen_at / last_seen_at; software that
disappears gets is_current false and uninstalled_at, and flips back when it is reinstalled. Rows
are never deleted. Only assets whose inventory fingerprint changed are touched, so an update
push costs nothing for the machines whose software did not change.
"""

from __future__ import annotations

import functools
import hashlib
import operator
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from ninja_desk.core.inventory import SoftwareItem
from ninja_desk.psa.bulk import (
    analyze_if_grown,
    array_literal,
    chunks,
    dialect_insert,
    in_ids,
)
from ninja_desk.psa.schema import asset_software, software_catalog
from ninja_desk.psa.tenancy import TenantSession

# (normalized_name, publisher): publisher None is its own title (Alga's unique key treats NULLs
# as distinct, so ON CONFLICT never fires for them; the push lock keeps us from racing ourselves).
TitleKey = tuple[str, str | None]


@functools.lru_cache(maxsize=65536)
def title_key(name: str, publisher: str | None) -> TitleKey:
    return name.strip().lower()[:500], ((publisher or "").strip()[:255] or None)


_ITEM = operator.attrgetter("name", "publisher", "version", "install_date")


def software_fingerprint(items: Sequence[SoftwareItem]) -> str:
    """The raw inventory hashed (sorted by name: NinjaOne's row order is not a change)."""
    rows = sorted(map(_ITEM, items), key=operator.itemgetter(0))
    return hashlib.sha1(repr(rows).encode(), usedforsecurity=False).hexdigest()


@dataclass(slots=True)
class SoftwareChanges:
    """Per asset: the display names installed and removed by this push."""

    installed: dict[uuid.UUID, list[str]] = field(default_factory=dict)
    removed: dict[uuid.UUID, list[str]] = field(default_factory=dict)


def _install_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value[:10])
    except ValueError:
        return None


def _catalog_ids(s: TenantSession, names: Sequence[str]) -> dict[TitleKey, uuid.UUID]:
    c = software_catalog.c
    found: dict[TitleKey, uuid.UUID] = {}
    for clause in in_ids(s.conn, c.normalized_name, list(names)):
        rows = s.conn.execute(
            sa.select(c.normalized_name, c.publisher, c.software_id)
            .where(c.tenant == s.tenant, clause)
            .order_by(c.created_at, c.software_id)
        )
        for name, publisher, software_id in rows:
            found.setdefault((name, publisher), software_id)  # oldest wins if duplicated
    return found


def ensure_catalog(
    s: TenantSession, titles: dict[TitleKey, tuple[str, str | None]], now: datetime
) -> dict[TitleKey, uuid.UUID]:
    """Catalog ids for `titles` ({key: (display name, publisher)}), adding the missing ones."""
    ids = _catalog_ids(s, sorted({k[0] for k in titles}))
    missing = [k for k in titles if k not in ids]
    if missing:
        insert = dialect_insert(s.conn, software_catalog).on_conflict_do_nothing(
            index_elements=["tenant", "normalized_name", "publisher"]
        )
        s.conn.execute(
            insert,
            [
                {
                    "tenant": s.tenant,
                    "software_id": uuid.uuid4(),
                    "name": titles[k][0].strip()[:500] or k[0],
                    "publisher": k[1],
                    "normalized_name": k[0],
                    "created_at": now,
                    "updated_at": now,
                }
                for k in missing
            ],
        )
        analyze_if_grown(s.conn, "software_catalog", len(missing))
        ids.update(_catalog_ids(s, sorted({k[0] for k in missing})))
    return ids


# PostgreSQL takes a whole first inventory (~400k rows for 10,000 machines) in one
# INSERT ... SELECT FROM unnest(...). Rows are dictionary-encoded: two integer arrays (which
# asset, which (title, version, date) item) sent as array literals, plus the distinct assets
# and items; dumping 400k uuids through the driver costs more than the insert itself.
_UNNEST_INSERT = sa.text(
    "INSERT INTO asset_software (tenant, asset_id, software_id, version, install_date, "
    "first_seen_at, last_seen_at, is_current) "
    "SELECT :tenant, a.id, i.s, i.v, i.d, :now, :now, true "
    "FROM unnest(CAST(:asset_idx AS int[]), CAST(:item_idx AS int[])) AS u(ai, ii) "
    "JOIN unnest(CAST(:assets AS uuid[])) WITH ORDINALITY AS a(id, n) ON a.n = u.ai "
    "JOIN unnest(CAST(:software AS uuid[]), CAST(:versions AS text[]), CAST(:dates AS date[])) "
    "WITH ORDINALITY AS i(s, v, d, n) ON i.n = u.ii"
).bindparams(
    sa.bindparam("tenant", type_=sa.Uuid()),
    sa.bindparam("now", type_=sa.DateTime(timezone=True)),
)
_UNNEST_CHUNK = 100_000


def _int_array(values: list[int]) -> str:
    return "{" + ",".join(map(str, values)) + "}"


@dataclass(slots=True)
class _Inserts:
    """asset_software rows to insert, by position: rows are (asset position, title position,
    version, install date), so no uuid is hashed or converted once per row."""

    assets: list[uuid.UUID] = field(default_factory=list)
    titles: list[uuid.UUID] = field(default_factory=list)
    rows: list[tuple[int, int, str | None, date | None]] = field(default_factory=list)


def _insert_postgres(s: TenantSession, ins: _Inserts, now: datetime) -> None:
    for part in chunks(ins.rows, _UNNEST_CHUNK):
        asset_index: dict[int, int] = {}
        item_index: dict[tuple[int, str | None, date | None], int] = {}
        asset_idx: list[int] = []
        item_idx: list[int] = []
        for asset_pos, title_pos, version, installed in part:
            asset_idx.append(asset_index.setdefault(asset_pos, len(asset_index) + 1))
            item = (title_pos, version, installed)
            item_idx.append(item_index.setdefault(item, len(item_index) + 1))
        items = list(item_index)
        s.conn.execute(
            _UNNEST_INSERT,
            {
                "tenant": s.tenant,
                "now": now,
                "asset_idx": _int_array(asset_idx),
                "item_idx": _int_array(item_idx),
                "assets": array_literal([ins.assets[p] for p in asset_index], plain=True),
                "software": array_literal([ins.titles[i[0]] for i in items], plain=True),
                "versions": array_literal([i[1] for i in items]),
                "dates": array_literal([i[2] for i in items], plain=True),
            },
        )


def _insert_sqlite(s: TenantSession, ins: _Inserts, now: datetime) -> None:
    # Values in the form SQLAlchemy's types store them (uuid hex, ISO date and timestamp),
    # converted once per asset, title and date instead of once per row.
    table = asset_software
    dialect = s.conn.dialect
    uuid_bind = table.c.asset_id.type.dialect_impl(dialect).bind_processor(dialect)
    time_bind = table.c.first_seen_at.type.dialect_impl(dialect).bind_processor(dialect)
    date_bind = table.c.install_date.type.dialect_impl(dialect).bind_processor(dialect)

    def conv(bind: Any, value: Any) -> Any:
        return value if bind is None or value is None else bind(value)

    stamp = conv(time_bind, now)
    tenant = conv(uuid_bind, s.tenant)
    asset_values = [conv(uuid_bind, x) for x in ins.assets]
    title_values = [conv(uuid_bind, x) for x in ins.titles]
    dates = {d: conv(date_bind, d) for d in {r[3] for r in ins.rows}}
    s.conn.exec_driver_sql(
        "INSERT INTO asset_software (tenant, asset_id, software_id, version, install_date, "
        "first_seen_at, last_seen_at, is_current) VALUES (?, ?, ?, ?, ?, ?, ?, 1)",
        [
            (tenant, asset_values[a], title_values[t], version, dates[d], stamp, stamp)
            for a, t, version, d in ins.rows
        ],
    )


@functools.lru_cache(maxsize=4096)
def _install_date_cached(value: str) -> date | None:
    return _install_date(value)


def _version(value: str | None) -> str | None:
    return value[:100] if value else None


def sync_software(
    s: TenantSession,
    work: Sequence[tuple[uuid.UUID, Sequence[SoftwareItem]]],
    now: datetime,
    *,
    new_assets: frozenset[uuid.UUID] = frozenset(),
) -> SoftwareChanges:
    """`work`: (asset id, its full current inventory) for assets whose fingerprint changed.

    Assets in `new_assets` were created by this push: they have no rows yet, so none are read.
    """
    changes = SoftwareChanges()
    if not work:
        return changes
    titles: dict[TitleKey, tuple[str, str | None]] = {}
    for _, items in work:
        for item in items:
            titles.setdefault(title_key(item.name, item.publisher), (item.name, item.publisher))
    ids = ensure_catalog(s, titles, now)
    # Titles by position, in uuid order: rows come out in primary-key order (asset, title),
    # so index pages fill one after another instead of at random.
    ins = _Inserts(titles=sorted(set(ids.values()), key=lambda x: x.bytes))
    pos_of_id = {software_id: i for i, software_id in enumerate(ins.titles)}
    pos = {key: pos_of_id[software_id] for key, software_id in ids.items()}
    display = {pos[k]: titles[k][0] for k in titles}

    a = asset_software.c
    known = [asset_id for asset_id, _ in work if asset_id not in new_assets]
    current: dict[uuid.UUID, dict[uuid.UUID, tuple[str | None, bool]]] = {}
    for clause in in_ids(s.conn, a.asset_id, known):
        rows = s.conn.execute(
            sa.select(a.asset_id, a.software_id, a.version, a.is_current).where(
                a.tenant == s.tenant, clause
            )
        )
        for asset_id, software_id, version, is_current in rows:
            current.setdefault(asset_id, {})[software_id] = (version, is_current)

    updates: list[dict] = []
    removals: list[dict] = []
    removed_by_asset: dict[uuid.UUID, list[uuid.UUID]] = {}
    for asset_id, items in sorted(work, key=lambda w: w[0].bytes):
        wanted: dict[int, SoftwareItem] = {}
        for item in items:
            wanted[pos[title_key(item.name, item.publisher)]] = item
        asset_pos = len(ins.assets)
        ins.assets.append(asset_id)
        have = current.get(asset_id)
        if have is None and asset_id in new_assets:  # a first inventory: all inserts
            ins.rows.extend(
                (
                    asset_pos,
                    title_pos,
                    _version(wanted[title_pos].version),
                    _install_date_cached(wanted[title_pos].install_date)
                    if wanted[title_pos].install_date
                    else None,
                )
                for title_pos in sorted(wanted)
            )
            continue
        have = have or {}
        wanted_ids = set()
        for title_pos in sorted(wanted):
            item = wanted[title_pos]
            software_id = ins.titles[title_pos]
            wanted_ids.add(software_id)
            version = _version(item.version)
            installed = _install_date(item.install_date)
            old = have.get(software_id)
            if old is None:
                ins.rows.append((asset_pos, title_pos, version, installed))
                if asset_id not in new_assets:
                    changes.installed.setdefault(asset_id, []).append(display[title_pos])
            else:
                if not old[1]:
                    changes.installed.setdefault(asset_id, []).append(display[title_pos])
                updates.append(
                    {
                        "b_asset_id": asset_id,
                        "b_software_id": software_id,
                        "b_version": version,
                        "b_install_date": installed,
                    }
                )
        for software_id, (_version_was, is_current) in have.items():
            if software_id not in wanted_ids and is_current:
                removals.append({"b_asset_id": asset_id, "b_software_id": software_id})
                removed_by_asset.setdefault(asset_id, []).append(software_id)

    if removed_by_asset:
        # Names of removed titles (most were not in this batch).
        names = {ins.titles[p]: name for p, name in display.items()}
        unnamed = {x for sids in removed_by_asset.values() for x in sids} - names.keys()
        c = software_catalog.c
        for clause in in_ids(s.conn, c.software_id, sorted(unnamed, key=str)):
            named = s.conn.execute(
                sa.select(c.software_id, c.name).where(c.tenant == s.tenant, clause)
            )
            names.update({software_id: name for software_id, name in named})
        changes.removed = {
            asset_id: sorted(names[x] for x in sids) for asset_id, sids in removed_by_asset.items()
        }
    changes.installed = {k: sorted(v) for k, v in changes.installed.items()}

    where = sa.and_(
        a.tenant == s.tenant,
        a.asset_id == sa.bindparam("b_asset_id"),
        a.software_id == sa.bindparam("b_software_id"),
    )
    if ins.rows:
        if s.is_postgres:
            _insert_postgres(s, ins, now)
        else:
            _insert_sqlite(s, ins, now)
    if updates:
        s.conn.execute(
            asset_software.update()
            .where(where)
            .values(
                version=sa.bindparam("b_version"),
                install_date=sa.bindparam("b_install_date"),
                last_seen_at=now,
                is_current=True,
                uninstalled_at=None,
            ),
            updates,
        )
    if removals:
        s.conn.execute(
            asset_software.update().where(where).values(is_current=False, uninstalled_at=now),
            removals,
        )
    return changes
