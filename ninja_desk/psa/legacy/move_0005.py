"""Move a NinjaDesk 0005 PSA database into Alga's layout.

Called by migrator.migrate() inside its one transaction (on PostgreSQL under the advisory lock):

1. bring the database to 0005 with the frozen legacy chain (legacy/migrations);
2. set the 0005 tables aside as `ninjadesk_v0005_<name>` (on PostgreSQL first dropping the
   row-level-security policies and actor triggers of 0002/0003, which would hide or rewrite
   rows), and drop `alembic_version`;
3. create Alga's tables and NinjaDesk's own (`create_schema`, the current Alembic chain);
4. copy the data across in Alga's words (`_Mover`, one method per kind of data), reading the
   set-aside tables as reflected from the database (`reflect_0005`): the legacy chain that
   made them is their one description;
5. drop the set-aside tables and, on PostgreSQL, the nd_* functions of 0002: the result is a
   fresh `migrate` plus the data. The cluster-wide nd_* roles stay (other databases may use
   them).

Rows are read in primary-key pages and written in batches, so a large database does not have to
fit in memory (only id maps do: statuses, boards, tickets' boards, software ids).
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, cast

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine.interfaces import ReflectedColumn

from ninja_desk.psa import schema as new
from ninja_desk.psa.permissions import ALGA_RIGHT_FOR
from ninja_desk.psa.schema import metadata
from ninja_desk.psa.schema_types import Json, UtcDateTime, Uuid
from ninja_desk.psa.tenants import DEFAULT_ROLES

LEGACY_MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
LEGACY_HEAD = "0005_remote_connect_history"
LEGACY_VERSION_TABLE = "alembic_version"
PREFIX = "ninjadesk_v0005_"
log = logging.getLogger(__name__)
_BATCH = 2000

_PG_FUNCTIONS = (
    "nd_apply_user_grants(uuid)",
    "nd_stamp_actor()",
    "nd_current_user()",
    "nd_current_tenant()",
)

ASSET_TYPES = frozenset({"workstation", "server", "network_device", "mobile_device", "printer"})
SEVERITIES = frozenset({"critical", "major", "moderate", "minor", "none"})
ALERT_STATUSES = frozenset({"active", "suppressed", "acknowledged", "resolved", "auto_resolved"})
NETWORK_DEVICE_TYPES = frozenset({"switch", "router", "firewall", "access_point", "load_balancer"})
_NETWORK_DEVICE_WORDS = {"wap": "access_point", "ap": "access_point", "lb": "load_balancer"}
SYNC_STATUSES = {
    "pending": "pending",
    "syncing": "syncing",
    "running": "syncing",
    "completed": "completed",
    "ok": "completed",
    "success": "completed",
    "error": "error",
    "failed": "error",
}
STATUS_ITEM_TYPES = frozenset({"project", "ticket", "project_task", "interaction"})

# The tables of schema 0005, as legacy/migrations 0001-0005 make them, parents before children:
# the order they are set aside in and, reversed, dropped in. Only these are moved and dropped;
# any other table in the database is left alone.
TABLES_0005 = (
    "tenants",
    "channels",
    "companies",
    "events_outbox",
    "priorities",
    "roles",
    "software_catalog",
    "statuses",
    "tenant_external_entity_mappings",
    "ticket_number_sequences",
    "users",
    "audit_log",
    "db_logins",
    "rmm_integrations",
    "role_permissions",
    "tickets",
    "user_roles",
    "assets",
    "rmm_alert_rules",
    "rmm_alert_tickets",
    "rmm_maintenance_windows",
    "rmm_organization_mappings",
    "sync_leases",
    "ticket_comments",
    "asset_device_lineage",
    "asset_history",
    "asset_software",
    "asset_ticket_associations",
    "mobile_device_assets",
    "network_device_assets",
    "printer_assets",
    "rmm_alerts",
    "server_assets",
    "workstation_assets",
    "rmm_alert_series",
)


def planned_tables() -> list[str]:
    return [t.name for t in metadata.sorted_tables]


def upgrade_from_0005(conn: sa.Connection, create_schema: Callable[[], None]) -> dict[str, int]:
    """Move a 0005 (or older NinjaDesk) database into Alga's layout; {table: rows written}."""
    _legacy_upgrade(conn)
    _set_aside(conn)
    create_schema()
    moved = _Mover(conn).run()
    _drop_set_aside(conn)
    log.info("Moved the NinjaDesk 0005 data into Alga's layout: %s", moved)
    return moved


# --- steps 1, 2 and 5 ----------------------------------------------------------------------


def _legacy_upgrade(conn: sa.Connection) -> None:
    current = conn.execute(sa.text(f"SELECT version_num FROM {LEGACY_VERSION_TABLE}")).scalar()
    if current == LEGACY_HEAD:
        return
    cfg = Config()
    cfg.set_main_option("script_location", str(LEGACY_MIGRATIONS_DIR))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, LEGACY_HEAD)


def reflect_0005(conn: sa.Connection, prefix: str = "") -> dict[str, sa.Table]:
    """The 0005 tables in the database (named `prefix` + their 0005 name), by 0005 name,
    reflected with the column types NinjaDesk wrote them with (`_as_written`)."""
    present = set(sa.inspect(conn).get_table_names())
    names = [prefix + name for name in TABLES_0005 if prefix + name in present]
    md = sa.MetaData()
    sa.event.listen(md, "column_reflect", _as_written)
    # Foreign keys are not followed: reading needs the columns and the primary key only.
    md.reflect(conn, only=names, resolve_fks=False)
    return {name[len(prefix) :]: md.tables[name] for name in names}


def _as_written(_inspector: sa.Inspector, _table: sa.Table, column: ReflectedColumn) -> None:
    """Read a reflected 0005 column as the type that wrote it. The legacy chain uses sa.Uuid,
    sa.DateTime(timezone=True), JSON(B) and plain types only. Reflection alone would give
    SQLite's UUIDs as CHAR(32) strings (sa.Uuid's only rendering there: no other 0005 column
    is CHAR) and its times naive; Uuid, UtcDateTime and Json read them as NinjaDesk's own
    tables do, the same on both backends."""
    kind = column["type"]
    if isinstance(kind, sa.DateTime):
        column["type"] = UtcDateTime()
    elif isinstance(kind, sa.JSON):
        column["type"] = Json
    elif isinstance(kind, sa.Uuid) or (isinstance(kind, sa.CHAR) and kind.length == 32):
        column["type"] = Uuid


def _set_aside(conn: sa.Connection) -> None:
    postgres = conn.dialect.name == "postgresql"
    present = set(sa.inspect(conn).get_table_names())
    for name in (n for n in TABLES_0005 if n in present):
        if postgres:
            conn.exec_driver_sql(f"DROP POLICY IF EXISTS tenant_isolation ON {name}")
            conn.exec_driver_sql(f"DROP TRIGGER IF EXISTS stamp_actor ON {name}")
            conn.exec_driver_sql(f"ALTER TABLE {name} NO FORCE ROW LEVEL SECURITY")
            conn.exec_driver_sql(f"ALTER TABLE {name} DISABLE ROW LEVEL SECURITY")
        conn.exec_driver_sql(f"ALTER TABLE {name} RENAME TO {PREFIX}{name}")
    conn.exec_driver_sql(f"DROP TABLE {LEGACY_VERSION_TABLE}")


def _drop_set_aside(conn: sa.Connection) -> None:
    postgres = conn.dialect.name == "postgresql"
    present = set(sa.inspect(conn).get_table_names())
    for name in (PREFIX + n for n in reversed(TABLES_0005)):
        if name in present:
            conn.exec_driver_sql(f"DROP TABLE {name}{' CASCADE' if postgres else ''}")
    if postgres:
        for function in _PG_FUNCTIONS:
            conn.exec_driver_sql(f"DROP FUNCTION IF EXISTS {function}")


# --- helpers -------------------------------------------------------------------------------


def _pages(conn: sa.Connection, table: sa.Table) -> Iterator[list[Mapping[str, Any]]]:
    """All rows of `table` in primary-key order, a page at a time (keyset paging)."""
    key = list(table.primary_key.columns)
    last: list[Any] | None = None
    while True:
        query = sa.select(table).order_by(*key).limit(_BATCH)
        if last is not None:
            query = query.where(sa.tuple_(*key) > sa.tuple_(*last))
        # Keyed by column name only here (RowMapping also admits Column keys, so say so).
        page = cast(list[Mapping[str, Any]], list(conn.execute(query).mappings()))
        if not page:
            return
        yield page
        if len(page) < _BATCH:
            return
        last = [page[-1][c.name] for c in key]


def _rows(conn: sa.Connection, table: sa.Table) -> Iterator[Mapping[str, Any]]:
    for page in _pages(conn, table):
        yield from page


def _clean(d: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready: no None values, ids and times as strings."""
    out: dict[str, Any] = {}
    for k, v in d.items():
        if v is None or v == [] or v == {} or v == "":
            continue
        if isinstance(v, uuid.UUID):
            v = str(v)
        elif isinstance(v, datetime | date):
            v = v.isoformat()
        out[k] = v
    return out


def _round(value: float | None) -> int | None:
    return None if value is None else round(value)


def _install_date(value: str | None) -> date | None:
    if not value:
        return None
    text = value.strip()
    for pattern, width in (("%Y-%m-%d", 10), ("%Y%m%d", 8), ("%m/%d/%Y", 10), ("%d.%m.%Y", 10)):
        try:
            return datetime.strptime(text[:width], pattern).date()
        except ValueError:
            continue
    return None


def _end_time(start: str, minutes: int) -> str:
    hh, _, mm = start.partition(":")
    total = (int(hh or 0) * 60 + int(mm or 0) + int(minutes)) % (24 * 60)
    return f"{total // 60:02d}:{total % 60:02d}"


class _Writer:
    """Batched inserts per table, with a count of rows written."""

    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.pending: dict[str, list[dict[str, Any]]] = defaultdict(list)
        self.counts: dict[str, int] = {}

    def add(self, table: sa.Table, row: dict[str, Any]) -> None:
        rows = self.pending[table.name]
        rows.append(row)
        self.counts[table.name] = self.counts.get(table.name, 0) + 1
        if len(rows) >= _BATCH:
            self.flush(table)

    def flush(self, *tables: sa.Table) -> None:
        for table in tables or [metadata.tables[n] for n in list(self.pending)]:
            rows = self.pending.pop(table.name, [])
            # One shape per statement: rows that omit a column get the column's default.
            by_shape: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_shape[tuple(sorted(row))].append(row)
            for group in by_shape.values():
                self.conn.execute(table.insert(), group)


# --- step 4 --------------------------------------------------------------------------------


class _Mover:
    def __init__(self, conn: sa.Connection) -> None:
        self.conn = conn
        self.old = reflect_0005(conn, PREFIX)  # the set-aside 0005 tables, by 0005 name
        self.out = _Writer(conn)
        self.now = datetime.now(UTC)
        self.admin: dict[uuid.UUID, uuid.UUID] = {}
        self.user_ids: set[tuple[uuid.UUID, uuid.UUID]] = set()
        self.user_by_name: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.boards: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)  # tenant -> boards
        self.board_by_name: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.default_board: dict[uuid.UUID, uuid.UUID] = {}
        self.status_on_board: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        self.status_closed: dict[uuid.UUID, bool] = {}
        self.priority_by_name: dict[tuple[uuid.UUID, str], uuid.UUID] = {}
        self.ticket_board: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        self.software: dict[tuple[uuid.UUID, uuid.UUID], uuid.UUID] = {}
        self.asset_by_device: dict[tuple[uuid.UUID, uuid.UUID, str], uuid.UUID] = {}

    def run(self) -> dict[str, int]:
        for step in (
            self._tenants,
            self._users_and_rights,
            self._clients,
            self._priorities,
            self._boards_and_statuses,
            self._next_number,
            self._integrations,
            self._org_mappings,
            self._assets,
            self._asset_history,
            self._lineage,
            self._software,
            self._tickets,
            self._comments,
            self._asset_links,
            self._rules,
            self._alerts,
            self._alert_tickets,
            self._windows,
            self._outbox,
            self._audit,
        ):
            step()
            self.out.flush()
        return dict(sorted(self.out.counts.items()))

    def _rows(self, name: str) -> Iterator[Mapping[str, Any]]:
        return _rows(self.conn, self.old[name])

    # tenancy, people, rights

    def _tenants(self) -> None:
        for r in self._rows("tenants"):
            self.out.add(
                new.tenants,
                {
                    "tenant": r["tenant"],
                    "client_name": r["name"],
                    "email": f"admin@{r['tenant'].hex[:8]}.invalid",
                    "created_at": r["created_at"],
                    "updated_at": self.now,
                },
            )

    def _users_and_rights(self) -> None:
        for r in self._rows("users"):
            t = r["tenant"]
            self.user_ids.add((t, r["user_id"]))
            self.user_by_name[(t, r["username"].lower())] = r["user_id"]
            self.out.add(
                new.users,
                {
                    "tenant": t,
                    "user_id": r["user_id"],
                    "username": r["username"],
                    "hashed_password": "!",
                    "email": r["email"] or f"{r['username']}@{t.hex[:8]}.invalid",
                    "first_name": r["first_name"],
                    "last_name": r["last_name"],
                    "is_inactive": r["is_inactive"],
                    "user_type": "internal",
                    "created_at": r["created_at"],
                    "updated_at": self.now,
                },
            )
        for r in self._rows("roles"):
            self.out.add(
                new.roles,
                {
                    "tenant": r["tenant"],
                    "role_id": r["role_id"],
                    "role_name": r["role_name"],
                    "description": r["description"],
                    "msp": True,
                    "client": False,
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )
        self.out.flush(new.users, new.roles)

        seeded = frozenset().union(*DEFAULT_ROLES.values()) | frozenset(ALGA_RIGHT_FOR.values())
        granted: dict[tuple[uuid.UUID, uuid.UUID], set[tuple[str, str]]] = defaultdict(set)
        administers: set[tuple[uuid.UUID, uuid.UUID]] = set()
        for r in self._rows("role_permissions"):
            key = (r["tenant"], r["role_id"])
            right = ALGA_RIGHT_FOR.get(r["permission"])
            if right is not None:
                granted[key].add(right)
            if r["permission"] == "rights.administer":
                administers.add(key)
        permission_ids: dict[tuple[uuid.UUID, tuple[str, str]], uuid.UUID] = {}
        tenants = [r["tenant"] for r in self._rows("tenants")]
        for t in tenants:
            for right in sorted(seeded):
                permission_ids[(t, right)] = uuid.uuid4()
                self.out.add(
                    new.permissions,
                    {
                        "tenant": t,
                        "permission_id": permission_ids[(t, right)],
                        "resource": right[0],
                        "action": right[1],
                        "msp": True,
                        "client": False,
                        "created_at": self.now,
                    },
                )
        self.out.flush(new.permissions)
        for (t, role_id), rights in sorted(granted.items()):
            for right in sorted(rights):
                self.out.add(
                    new.role_permissions,
                    {
                        "tenant": t,
                        "role_id": role_id,
                        "permission_id": permission_ids[(t, right)],
                        "created_at": self.now,
                    },
                )
        admins_by_tenant: dict[uuid.UUID, set[uuid.UUID]] = defaultdict(set)
        for r in self._rows("user_roles"):
            if (r["tenant"], r["role_id"]) in administers:
                admins_by_tenant[r["tenant"]].add(r["user_id"])
            self.out.add(
                new.user_roles,
                {
                    "tenant": r["tenant"],
                    "user_id": r["user_id"],
                    "role_id": r["role_id"],
                    "created_at": self.now,
                },
            )
        self.out.flush(new.role_permissions, new.user_roles)
        self._choose_admins(tenants, admins_by_tenant)

    def _choose_admins(
        self, tenants: Iterable[uuid.UUID], admins: Mapping[uuid.UUID, set[uuid.UUID]]
    ) -> None:
        """Per tenant, who stands in for 'someone' where Alga needs a user (created_by,
        changed_by): the first admin, else the first user, else a user made for the purpose."""
        u = self.old["users"]
        for t in tenants:
            rows = self.conn.execute(
                sa.select(u.c.user_id).where(u.c.tenant == t).order_by(u.c.created_at, u.c.user_id)
            ).scalars()
            candidates = list(rows)
            chosen = next((x for x in candidates if x in admins.get(t, set())), None)
            if chosen is None and candidates:
                chosen = candidates[0]
            if chosen is None:
                chosen = uuid.uuid4()
                self.conn.execute(
                    new.users.insert().values(
                        tenant=t,
                        user_id=chosen,
                        username="ninjadesk-migration",
                        hashed_password="!",
                        email=f"ninjadesk-migration@{t.hex[:8]}.invalid",
                        first_name="NinjaDesk",
                        last_name="migration",
                        user_type="internal",
                        is_inactive=True,
                        created_at=self.now,
                        updated_at=self.now,
                    )
                )
                self.out.counts["users"] = self.out.counts.get("users", 0) + 1
                self.user_ids.add((t, chosen))
            self.admin[t] = chosen

    def _user(self, tenant: uuid.UUID, user_id: uuid.UUID | None) -> uuid.UUID | None:
        return user_id if user_id is not None and (tenant, user_id) in self.user_ids else None

    # clients and ticket reference data

    def _clients(self) -> None:
        seen: set[tuple[uuid.UUID, str]] = set()
        # The older company keeps a name that two share.
        companies = sorted(
            self._rows("companies"),
            key=lambda r: (r["tenant"], r["created_at"], r["company_id"]),
        )
        for r in companies:
            name = r["company_name"]
            n = 1
            while (r["tenant"], name) in seen:  # 0005 allowed equal names, Alga does not
                n += 1
                name = f"{r['company_name']} ({n})"
            seen.add((r["tenant"], name))
            self.out.add(
                new.clients,
                {
                    "tenant": r["tenant"],
                    "client_id": r["company_id"],
                    "client_name": name,
                    "is_inactive": r["is_inactive"],
                    "notes": r["notes"],
                    "created_at": r["created_at"],
                    "updated_at": r["updated_at"],
                },
            )

    def _priorities(self) -> None:
        for r in self._rows("priorities"):
            t = r["tenant"]
            self.priority_by_name[(t, r["priority_name"].lower())] = r["priority_id"]
            self.out.add(
                new.priorities,
                {
                    "tenant": t,
                    "priority_id": r["priority_id"],
                    "priority_name": r["priority_name"],
                    "created_by": self.admin[t],
                    "created_at": self.now,
                    "updated_at": self.now,
                    "order_number": r["order_number"],
                    "color": r["color"] or "#6B7280",
                    "item_type": "ticket",
                },
            )

    def _boards_and_statuses(self) -> None:
        channels = sorted(
            self._rows("channels"),
            key=lambda r: (r["tenant"], not r["is_default"], r["channel_name"].lower()),
        )
        order: dict[uuid.UUID, int] = defaultdict(int)
        for r in channels:
            t = r["tenant"]
            order[t] += 1
            is_default = t not in self.default_board  # the default channel, else the first
            if is_default:
                self.default_board[t] = r["channel_id"]
            self.boards[t].append(r["channel_id"])
            self.board_by_name[(t, r["channel_name"].lower())] = r["channel_id"]
            self.out.add(
                new.boards,
                {
                    "tenant": t,
                    "board_id": r["channel_id"],
                    "board_name": r["channel_name"],
                    "is_default": is_default,
                    "is_inactive": False,
                    "display_order": order[t],
                },
            )
        self.out.flush(new.boards)
        for r in self._rows("statuses"):
            t = r["tenant"]
            self.status_closed[r["status_id"]] = r["is_closed"]
            item_type = r["status_type"] if r["status_type"] in STATUS_ITEM_TYPES else "ticket"
            # The old statuses were the tenant's; in Alga each board owns its own copy. The
            # default board keeps the old ids.
            on_boards: list[uuid.UUID | None] = [*self.boards.get(t, [])] or [None]
            for board in on_boards:
                keep = board is None or board == self.default_board.get(t)
                status_id = r["status_id"] if keep else uuid.uuid4()
                if board is not None:
                    self.status_on_board[(board, r["status_id"])] = status_id
                self.out.add(
                    new.statuses,
                    {
                        "tenant": t,
                        "status_id": status_id,
                        "name": r["name"],
                        "status_type": item_type,
                        "item_type": item_type,
                        "order_number": r["order_number"],
                        "created_by": self.admin[t],
                        "created_at": self.now,
                        "is_closed": r["is_closed"],
                        "is_default": r["is_default"],
                        "board_id": board,
                    },
                )

    def _next_number(self) -> None:
        for r in self._rows("ticket_number_sequences"):
            self.out.add(
                new.next_number,
                {
                    "tenant": r["tenant"],
                    "entity_type": "TICKET",
                    "last_number": r["last_number"],
                    "initial_value": 1,
                    "prefix": r["prefix"],
                    "padding_length": 6,
                },
            )

    # RMM integration and assets

    def _integrations(self) -> None:
        providers: set[tuple[uuid.UUID, str]] = set()
        for r in sorted(
            self._rows("rmm_integrations"),
            key=lambda r: (r["tenant"], not r["is_active"], r["created_at"]),
        ):
            t = r["tenant"]
            provider, n = r["provider"], 1
            while (t, provider) in providers:  # Alga: one integration per provider
                n += 1
                provider = f"{r['provider']}-{n}"
            providers.add((t, provider))
            settings = dict(r["settings"] or {})
            settings.update(
                _clean(
                    {
                        "webhookUrl": r["webhook_url"],
                        "webhookRegisteredAt": r["webhook_registered_at"],
                        "oauthClientId": r["oauth_client_id"],
                        "connectedBy": r["connected_by"],
                    }
                )
            )
            syncs = [x for x in (r["last_full_sync_at"], r["last_incremental_sync_at"]) if x]
            self.out.add(
                new.rmm_integrations,
                {
                    "tenant": t,
                    "integration_id": r["integration_id"],
                    "provider": provider,
                    "instance_url": r["instance_url"],
                    "is_active": r["is_active"],
                    "connected_at": r["connected_at"],
                    "last_sync_at": max(syncs) if syncs else None,
                    "last_full_sync_at": r["last_full_sync_at"],
                    "last_incremental_sync_at": r["last_incremental_sync_at"],
                    "sync_status": SYNC_STATUSES.get((r["sync_status"] or "").lower(), "pending"),
                    "sync_error": r["sync_error"],
                    "settings": settings,
                    "created_at": r["created_at"],
                    "updated_at": r["updated_at"],
                },
            )

    def _org_mappings(self) -> None:
        for r in self._rows("rmm_organization_mappings"):
            meta = dict(r["metadata"] or {})
            meta.update(
                _clean(
                    {
                        "firstSeenAt": r["first_seen_at"],
                        "lastSeenAt": r["last_seen_at"],
                        "vanishedAt": r["vanished_at"],
                        "updatedBy": r["updated_by"],
                    }
                )
            )
            self.out.add(
                new.rmm_organization_mappings,
                {
                    "tenant": r["tenant"],
                    "mapping_id": r["mapping_id"],
                    "integration_id": r["integration_id"],
                    "external_organization_id": r["external_organization_id"],
                    "external_organization_name": r["external_organization_name"],
                    "client_id": r["client_id"],
                    "auto_sync_assets": r["auto_sync_assets"],
                    "metadata": meta,
                    "last_synced_at": r["last_seen_at"],
                    "created_at": r["first_seen_at"],
                    "updated_at": r["updated_at"],
                },
            )

    def _assets(self) -> None:
        rmm_assets: dict[tuple[uuid.UUID, uuid.UUID], Mapping[str, Any]] = {}
        for r in self._rows("assets"):
            t = r["tenant"]
            device = r["rmm_device_id"]
            if r["rmm_integration_id"] is not None and device:
                self.asset_by_device[(t, r["rmm_integration_id"], device)] = r["asset_id"]
                rmm_assets[(t, r["asset_id"])] = r
            retired = r["retired_at"] is not None or r["rmm_sync_status"] == "deleted"
            tag = r["asset_tag"] or (
                f"NINJA-{r['serial_number'] or device}"
                if device
                else f"ND-{r['asset_id'].hex[:8].upper()}"
            )
            attributes = _clean(
                {
                    "manufacturer": r["manufacturer"],
                    "model": r["model"],
                    "mac_addresses": r["mac_addresses"],
                    "notes": r["notes"],
                    "custom_attributes": r["custom_attributes"],
                    "remote_access_url": r["remote_access_url"],
                    "rmm_sync_status": r["rmm_sync_status"],
                    "retired_at": r["retired_at"],
                    "rmm_integration_id": r["rmm_integration_id"],
                }
            )
            if r["asset_type"] not in ASSET_TYPES and r["asset_type"] != "unknown":
                attributes["ninjadesk_asset_type"] = r["asset_type"]
            self.out.add(
                new.assets,
                {
                    "tenant": t,
                    "asset_id": r["asset_id"],
                    "asset_tag": tag,
                    "serial_number": r["serial_number"],
                    "name": r["name"],
                    "status": "inactive" if retired else r["status"],
                    "location": r["location"],
                    "attributes": attributes or None,
                    "created_at": r["created_at"],
                    "updated_at": r["updated_at"],
                    "asset_type": r["asset_type"] if r["asset_type"] in ASSET_TYPES else "unknown",
                    "client_id": r["client_id"],
                    "rmm_provider": "ninjaone" if device else None,
                    "rmm_device_id": device,
                    "rmm_organization_id": r["rmm_organization_id"],
                    "agent_status": r["agent_status"],
                    "last_seen_at": r["last_seen_at"],
                    "last_rmm_sync_at": r["rmm_last_synced_at"],
                },
            )
            if device and r["rmm_integration_id"] is not None:
                self.out.add(
                    new.ninjadesk_asset_sync,
                    {
                        "tenant": t,
                        "asset_id": r["asset_id"],
                        "integration_id": r["rmm_integration_id"],
                        "device_id": device,
                        "software_fingerprint": r["software_fingerprint"],
                        "locked_fields": r["locked_fields"] or [],
                        "updated_at": r["updated_at"],
                    },
                )
        self.out.flush(new.assets)
        self._extensions()
        self._external_mappings(rmm_assets)

    def _extensions(self) -> None:
        for r in self._rows("workstation_assets"):
            self.out.add(new.workstation_assets, {**_computer(r), "current_user": r["last_login"]})
        for r in self._rows("server_assets"):
            row = _computer(r)
            row.pop("lan_ip")
            row["system_info"] = _clean(
                {**row["system_info"], "storage_capacity_gb": r["storage_capacity_gb"]}
            )
            row.pop("storage_capacity_gb")
            if r["last_login"]:
                row["current_user"] = r["last_login"]
            self.out.add(
                new.server_assets,
                {
                    **row,
                    "is_virtual": r["is_virtual"],
                    "hypervisor": r["hypervisor"],
                    "primary_ip": r["primary_ip"],
                },
            )
        for r in self._rows("network_device_assets"):
            word = (r["device_type"] or "").strip().lower().replace(" ", "_")
            word = _NETWORK_DEVICE_WORDS.get(word, word)
            self.out.add(
                new.network_device_assets,
                {
                    "tenant": r["tenant"],
                    "asset_id": r["asset_id"],
                    "device_type": word if word in NETWORK_DEVICE_TYPES else "switch",
                    "management_ip": r["management_ip"],
                    "firmware_version": r["firmware_version"],
                },
            )
        for r in self._rows("mobile_device_assets"):
            self.out.add(new.mobile_device_assets, dict(r))
        for r in self._rows("printer_assets"):
            self.out.add(new.printer_assets, dict(r))

    def _external_mappings(self, rmm_assets: Mapping[tuple[uuid.UUID, uuid.UUID], Any]) -> None:
        have: set[tuple[uuid.UUID, str, str, str]] = set()
        for r in self._rows("tenant_external_entity_mappings"):
            entity_id = r["alga_entity_id"]
            if r["alga_entity_type"] == "asset":
                with contextlib.suppress(ValueError):
                    entity_id = str(uuid.UUID(entity_id))
            key = (r["tenant"], r["integration_type"], r["alga_entity_type"], entity_id)
            if key in have:
                continue
            have.add(key)
            self.out.add(
                new.tenant_external_entity_mappings,
                {
                    "id": r["id"],
                    "tenant": r["tenant"],
                    "integration_type": r["integration_type"],
                    "alga_entity_type": r["alga_entity_type"],
                    "alga_entity_id": entity_id,
                    "external_entity_id": r["external_entity_id"],
                    "external_realm_id": r["external_realm_id"],
                    "sync_status": r["sync_status"],
                    "last_synced_at": r["last_synced_at"],
                    "metadata": r["metadata"],
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )
        # Every NinjaOne asset is found again through a mapping, as Alga's own sync finds it.
        for (t, asset_id), r in sorted(rmm_assets.items()):
            if (t, "ninjaone", "asset", str(asset_id)) in have:
                continue
            self.out.add(
                new.tenant_external_entity_mappings,
                {
                    "id": uuid.uuid4(),
                    "tenant": t,
                    "integration_type": "ninjaone",
                    "alga_entity_type": "asset",
                    "alga_entity_id": str(asset_id),
                    "external_entity_id": r["rmm_device_id"],
                    "external_realm_id": r["rmm_organization_id"],
                    "sync_status": "synced",
                    "last_synced_at": r["rmm_last_synced_at"],
                    "metadata": {"integration_id": str(r["rmm_integration_id"])},
                    "created_at": self.now,
                    "updated_at": self.now,
                },
            )

    def _asset_history(self) -> None:
        for r in self._rows("asset_history"):
            t = r["tenant"]
            changes = r["changes"] if isinstance(r["changes"], dict) else {"value": r["changes"]}
            key = "source" if "source" not in changes else "ninjadesk_source"
            self.out.add(
                new.asset_history,
                {
                    "tenant": t,
                    "history_id": r["history_id"],
                    "asset_id": r["asset_id"],
                    "changed_by": self._user(t, r["changed_by"]) or self.admin[t],
                    "change_type": r["change_type"],
                    "changes": {**changes, key: r["source"]},
                    "changed_at": r["changed_at"],
                },
            )

    def _lineage(self) -> None:
        for r in self._rows("asset_device_lineage"):
            self.out.add(new.ninjadesk_asset_device_lineage, dict(r))

    def _software(self) -> None:
        first: dict[tuple[uuid.UUID, str, str | None], uuid.UUID] = {}
        for r in self._rows("software_catalog"):
            t = r["tenant"]
            name = r["name"][:500]
            normalized = name.strip().lower()
            key = (t, normalized, r["publisher"])
            if key in first:  # two 0005 entries that Alga's key makes one
                self.software[(t, r["software_id"])] = first[key]
                continue
            first[key] = self.software[(t, r["software_id"])] = r["software_id"]
            self.out.add(
                new.software_catalog,
                {
                    "software_id": r["software_id"],
                    "tenant": t,
                    "name": name,
                    "publisher": r["publisher"],
                    "normalized_name": normalized,
                    "created_at": r["created_at"],
                    "updated_at": r["created_at"],
                },
            )
        self.out.flush(new.software_catalog)
        # Only rows of merged entries can meet twice; remember just those.
        merged = {(t, v) for (t, k), v in self.software.items() if k != v}
        seen: set[tuple[uuid.UUID, uuid.UUID, uuid.UUID]] = set()
        for r in self._rows("asset_software"):
            t = r["tenant"]
            software_id = self.software.get((t, r["software_id"]), r["software_id"])
            if (t, software_id) in merged:
                if (t, r["asset_id"], software_id) in seen:
                    continue
                seen.add((t, r["asset_id"], software_id))
            self.out.add(
                new.asset_software,
                {
                    "tenant": t,
                    "asset_id": r["asset_id"],
                    "software_id": software_id,
                    "version": (r["version"] or None) and r["version"][:100],
                    "install_date": _install_date(r["install_date"]),
                    "first_seen_at": r["first_seen_at"],
                    "last_seen_at": r["last_seen_at"],
                    "is_current": r["uninstalled_at"] is None,
                    "uninstalled_at": r["uninstalled_at"],
                },
            )

    # tickets

    def _tickets(self) -> None:
        for r in self._rows("tickets"):
            t = r["tenant"]
            board = r["channel_id"]
            self.ticket_board[(t, r["ticket_id"])] = board
            closed = self.status_closed.get(r["status_id"], False)
            attributes = _clean({"description": r["description"]})
            source = r["source"]
            if source == "ninjaone_alert":
                attributes["ninjadesk_source"] = source
                source = "ninjaone"
            elif source and source != "manual":
                attributes["ninjadesk_source"] = source
                source = None
            else:
                source = None
            self.out.add(
                new.tickets,
                {
                    "tenant": t,
                    "ticket_id": r["ticket_id"],
                    "ticket_number": r["ticket_number"],
                    "title": r["title"],
                    "status_id": self.status_on_board.get((board, r["status_id"]), r["status_id"]),
                    "priority_id": r["priority_id"],
                    "entered_by": r["entered_by"],
                    "updated_by": r["updated_by"],
                    "assigned_to": r["assigned_to"],
                    "closed_by": r["updated_by"] if closed else None,
                    "entered_at": r["entered_at"],
                    "updated_at": r["updated_at"],
                    "closed_at": (r["closed_at"] or r["updated_at"]) if closed else None,
                    "is_closed": closed,
                    "attributes": attributes or None,
                    "board_id": board,
                    "client_id": r["client_id"],
                    "source": source,
                    "ticket_origin": "internal",
                },
            )

    def _comments(self) -> None:
        # One thread per ticket, rooted at its first comment; the others are its replies.
        threads: dict[tuple[uuid.UUID, uuid.UUID], dict[str, Any]] = {}
        for r in self._rows("ticket_comments"):
            key = (r["tenant"], r["ticket_id"])
            thread = threads.get(key)
            at = (r["created_at"], r["comment_id"])
            if thread is None:
                threads[key] = {
                    "thread_id": uuid.uuid4(),
                    "root": at,
                    "root_internal": r["is_internal"],
                    "root_author": r["author_id"],
                    "last": r["created_at"],
                    "count": 1,
                }
                continue
            thread["count"] += 1
            thread["last"] = max(thread["last"], r["created_at"])
            if at < thread["root"]:
                thread["root"] = at
                thread["root_internal"] = r["is_internal"]
                thread["root_author"] = r["author_id"]
        for (t, ticket_id), th in sorted(threads.items(), key=lambda kv: kv[1]["root"]):
            self.out.add(
                new.comment_threads,
                {
                    "tenant": t,
                    "thread_id": th["thread_id"],
                    "ticket_id": ticket_id,
                    "root_comment_id": th["root"][1],
                    "is_internal": th["root_internal"],
                    "reply_count": th["count"] - 1,
                    "last_activity_at": th["last"],
                    "created_at": th["root"][0],
                    "created_by": self._user(t, th["root_author"]),
                },
            )
        self.out.flush(new.comment_threads)
        roots = [(key, th["root"][1]) for key, th in threads.items()]
        root_ids = {c for _, c in roots}
        # Roots first: a reply's parent must exist when the reply is written.
        for pass_roots in (True, False):
            for r in self._rows("ticket_comments"):
                is_root = r["comment_id"] in root_ids
                if is_root != pass_roots:
                    continue
                th = threads[(r["tenant"], r["ticket_id"])]
                self.out.add(
                    new.comments,
                    {
                        "tenant": r["tenant"],
                        "comment_id": r["comment_id"],
                        "ticket_id": r["ticket_id"],
                        "user_id": self._user(r["tenant"], r["author_id"]),
                        "note": r["body"],
                        "markdown_content": r["body"],
                        "is_internal": r["is_internal"],
                        "is_resolution": False,
                        "created_at": r["created_at"],
                        "updated_at": r["created_at"],
                        "author_type": "internal",
                        "is_system_generated": False,
                        "thread_id": th["thread_id"],
                        "parent_comment_id": None if is_root else th["root"][1],
                        "publish_state": "published",
                        "published_at": r["created_at"],
                    },
                )
            self.out.flush(new.comments)

    def _asset_links(self) -> None:
        for r in self._rows("asset_ticket_associations"):
            t = r["tenant"]
            self.out.add(
                new.asset_associations,
                {
                    "tenant": t,
                    "asset_id": r["asset_id"],
                    "entity_id": r["ticket_id"],
                    "entity_type": "ticket",
                    "relationship_type": r["relationship_type"],
                    "created_at": r["created_at"],
                    "created_by": self._user(t, r["created_by"]) or self.admin[t],
                },
            )

    # alerts, rules, windows

    def _rules(self) -> None:
        for r in self._rows("rmm_alert_rules"):
            conditions, actions, options = self._alga_rule(
                r["tenant"], dict(r["conditions"] or {}), dict(r["action"] or {})
            )
            options["dry_run"] = bool(r["dry_run"])
            self.out.add(
                new.rmm_alert_rules,
                {
                    "tenant": r["tenant"],
                    "rule_id": r["rule_id"],
                    "integration_id": r["integration_id"],
                    "name": r["name"],
                    "is_active": r["is_enabled"],
                    "priority_order": r["priority_order"],
                    "created_at": r["created_at"],
                    "updated_at": r["updated_at"],
                    "conditions": conditions,
                    "actions": actions,
                },
            )
            self.out.add(
                new.ninjadesk_alert_rule_options,
                {
                    "tenant": r["tenant"],
                    "rule_id": r["rule_id"],
                    "options": {k: v for k, v in options.items() if v is not None},
                    "updated_at": r["updated_at"],
                },
            )

    def _alga_rule(
        self, t: uuid.UUID, old: dict[str, Any], action: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
        """0005 rule JSON -> Alga's conditions and actions, plus what Alga cannot express."""
        conditions: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        if old.get("severities"):
            conditions["severities"] = sorted({str(s).lower() for s in old["severities"]})
        types = [str(x) for x in old.get("activity_types") or []]
        exact = [x for x in types if "*" not in x and "?" not in x]
        if types and len(exact) == len(types):
            conditions["activityTypes"] = exact
        elif types:
            extra["activity_types"] = types  # wildcards: Alga matches exact values only
        if old.get("organization_ids"):
            conditions["organizationIds"] = [str(o) for o in old["organization_ids"]]
        text = str(old.get("message_contains") or "").strip()
        if text:
            conditions["keywords"] = [text]
        for key in ("status_codes", "client_ids", "node_classes"):
            if old.get(key):
                extra[key] = old[key]

        actions: dict[str, Any] = {
            "createTicket": (action.get("type") or "create_ticket") != "suppress"
        }
        board_name = action.get("board") or action.get("channel")
        if board_name:
            board = self.board_by_name.get((t, str(board_name).lower()))
            if board is not None:
                actions["boardId"] = str(board)
        priority = str(action.get("priority") or "from_severity")
        if priority != "from_severity":
            found = self.priority_by_name.get((t, priority.lower()))
            if found is not None:
                actions["priorityOverride"] = str(found)
        assignee = action.get("assignee")
        if assignee:
            user = None
            try:
                candidate = uuid.UUID(str(assignee))
                user = self._user(t, candidate)
            except ValueError:
                user = self.user_by_name.get((t, str(assignee).lower()))
            if user is not None:
                actions["assignToUserId"] = str(user)
        if action.get("title_template"):
            actions["ticketTemplate"] = {"titleTemplate": action["title_template"]}
        actions["autoResolveTicket"] = bool(action.get("auto_resolve", True))
        actions["resetAlertOnTicketClose"] = bool(action.get("reset_on_close", False))
        # Only keys the rules module accepts (alert_rules.OPTION_KEYS): the rule must open and
        # save in NinjaDesk as it is. What neither Alga's shape nor the options can hold
        # (wildcard activity types, status codes, a per-rule priority map) is logged.
        options: dict[str, Any] = {"group_storms": bool(action.get("group_storms", True))}
        if action.get("storm_window_minutes"):
            options["storm_window_minutes"] = int(action["storm_window_minutes"])
        for key in ("client_ids", "node_classes"):
            if extra.pop(key, None):
                options[key] = [str(x) for x in old[key]]
        if action.get("priority_map"):
            extra["priority_map"] = action["priority_map"]
        if extra:
            log.warning(
                "Rule conditions NinjaDesk can no longer express were dropped while moving to "
                "Alga's layout: %s",
                sorted(extra),
            )
        return conditions, actions, options

    def _alerts(self) -> None:
        for page in _pages(self.conn, self.old["rmm_alerts"]):
            self._alert_page(page)

    def _alert_page(self, page: list[Mapping[str, Any]]) -> None:
        ls = self.old["rmm_alert_series"]
        series = {
            (r["tenant"], r["alert_id"]): dict(r)
            for r in self.conn.execute(
                sa.select(ls).where(ls.c.alert_id.in_([r["alert_id"] for r in page]))
            ).mappings()
        }
        for r in page:
            t = r["tenant"]
            s = series.get((t, r["alert_id"]), {})
            severity = (r["severity"] or "none").lower()
            status = (r["status"] or "active").lower()
            code = r["status_code"] or r["activity_type"]
            self.out.add(
                new.rmm_alerts,
                {
                    "tenant": t,
                    "alert_id": r["alert_id"],
                    "integration_id": r["integration_id"],
                    "external_alert_id": r["series_uid"],
                    "external_device_id": r["external_device_id"],
                    "asset_id": r["asset_id"],
                    "severity": severity if severity in SEVERITIES else "none",
                    "priority": (r["priority"] or "").lower() or None,
                    "status": status if status in ALERT_STATUSES else "active",
                    "source_type": (s.get("source_type") or "")[:50] or None,
                    "message": r["message"],
                    "device_name": s.get("device_name"),
                    "ticket_id": r["ticket_id"],
                    "triggered_at": r["triggered_at"],
                    "resolved_at": r["resolved_at"],
                    "metadata": _clean(
                        {"statusCode": r["status_code"], "resolvedBy": r["resolved_by"]}
                    ),
                    "created_at": r["created_at"],
                    "updated_at": r["updated_at"],
                    "activity_type": r["activity_type"],
                    "acknowledged_at": r["acknowledged_at"],
                    "acknowledged_by": r["acknowledged_by"],
                    "dedup_key": f"{r['external_device_id'] or ''}|{code or ''}",
                    "occurrence_count": 1 + int(s.get("repeat_count") or 0),
                    "last_occurrence_at": s.get("updated_at") or r["updated_at"],
                    "matched_rule_id": r["rule_id"],
                    "auto_ticket_created": r["auto_ticket_created"],
                },
            )
            self.out.add(
                new.ninjadesk_alert_series,
                {
                    "tenant": t,
                    "alert_id": r["alert_id"],
                    "integration_id": r["integration_id"],
                    "series_uid": r["series_uid"],
                    "last_activity_id": s.get("last_activity_id") or 0,
                    "last_event_time": s.get("last_event_time") or 0.0,
                    "repeat_count": s.get("repeat_count") or 0,
                    "severity_known": bool(s.get("severity_known")),
                    "status_from_activity": bool(s.get("status_from_activity")),
                    "resolved_reason": s.get("resolved_reason"),
                    "condition_name": s.get("condition_name"),
                    "external_organization_id": s.get("external_organization_id"),
                    "node_class": s.get("node_class"),
                    "client_id": s.get("client_id"),
                    "rmm_user_id": s.get("rmm_user_id"),
                    "rule_decision": r["rule_decision"],
                    "rule_explanation": r["rule_explanation"],
                    "source_payload": r["source_payload"] or {},
                    "updated_at": s.get("updated_at") or r["updated_at"],
                },
            )

    def _alert_tickets(self) -> None:
        for r in self._rows("rmm_alert_tickets"):
            row = dict(r)
            board = self.ticket_board.get((r["tenant"], r["ticket_id"]))
            row["created_status_id"] = (
                self.status_on_board.get((board, r["created_status_id"]), r["created_status_id"])
                if board is not None
                else r["created_status_id"]
            )
            self.out.add(new.ninjadesk_alert_tickets, row)

    def _windows(self) -> None:
        for r in self._rows("rmm_maintenance_windows"):
            t = r["tenant"]
            base: dict[str, Any] = {
                "tenant": t,
                "integration_id": r["integration_id"],
                "name": r["name"],
                "is_active": r["is_enabled"],
                "created_at": r["created_at"],
                "updated_at": r["updated_at"],
            }
            if r["kind"] == "weekly":
                base["recurrence"] = {
                    "type": "weekly",
                    # 0005 counted from Monday (0); Alga from Sunday (0).
                    "days": sorted({(int(d) + 1) % 7 for d in r["weekdays"] or []}),
                    "startTime": r["start_time"],
                    "endTime": _end_time(r["start_time"], r["duration_minutes"]),
                    "timezone": r["timezone"],
                }
            else:
                base["starts_at"] = r["starts_at"]
                base["ends_at"] = r["ends_at"]
            # Alga's window covers one client or one asset (or everything): one row per target.
            targets: list[dict[str, Any]] = []
            for client in r["client_ids"] or []:
                try:
                    targets.append({"client_id": uuid.UUID(str(client))})
                except ValueError:
                    continue
            devices = [str(d) for d in r["device_ids"] or []]
            for device in devices:
                asset = self.asset_by_device.get((t, r["integration_id"], device))
                if asset is not None:
                    targets.append({"asset_id": asset})
            if not targets and not devices and not r["client_ids"]:
                targets.append({})
            for i, target in enumerate(targets):
                window_id = r["window_id"] if i == 0 else uuid.uuid4()
                self.out.add(
                    new.rmm_maintenance_windows,
                    {**base, **target, "window_id": window_id},
                )

    # plumbing

    def _outbox(self) -> None:
        for r in self._rows("events_outbox"):
            self.out.add(
                new.ninjadesk_events_outbox,
                {**dict(r), "alga_event": False, "attempts": 0},
            )

    def _audit(self) -> None:
        for r in self._rows("audit_log"):
            self.out.add(
                new.audit_logs,
                {
                    "audit_id": r["audit_id"],
                    "tenant": r["tenant"],
                    "user_id": str(r["actor_user_id"]) if r["actor_user_id"] else None,
                    "operation": r["action"],
                    "table_name": r["entity_type"],
                    "record_id": r["entity_id"] or "",
                    "changed_data": r["changes"] or {},
                    "details": {"source": "ninjadesk", "moved_from": "audit_log (0005)"},
                    "timestamp": r["occurred_at"],
                },
            )


def _computer(r: Mapping[str, Any]) -> dict[str, Any]:
    """The columns 0005's workstation and server rows share, in Alga's workstation words."""
    pending = [x for x in (r["pending_os_patches"], r["pending_software_patches"]) if x]
    return {
        "tenant": r["tenant"],
        "asset_id": r["asset_id"],
        "os_type": r["os_type"],
        "os_version": r["os_version"],
        "cpu_model": r["cpu_model"],
        "cpu_cores": r["cpu_cores"],
        "ram_gb": _round(r["ram_gb"]),
        "storage_capacity_gb": _round(r["storage_capacity_gb"]),
        "antivirus_status": r["antivirus_status"],
        "antivirus_product": r["antivirus_product"],
        "last_reboot_at": r["last_reboot_at"],
        "pending_patches": sum(pending),
        "pending_os_patches": r["pending_os_patches"],
        "pending_software_patches": r["pending_software_patches"],
        "failed_patches": r["failed_patches"],
        "last_patch_scan_at": r["last_patch_scan_at"],
        "lan_ip": (r["primary_ip"] or None) and re.sub(r"/\d+$", "", r["primary_ip"])[:45],
        "system_info": _clean(
            {
                "os_architecture": r["os_architecture"],
                "domain": r["domain"],
                "ip_addresses": r["ip_addresses"],
                "is_virtual": r["is_virtual"],
            }
        ),
    }


__all__ = ["PREFIX", "TABLES_0005", "planned_tables", "reflect_0005", "upgrade_from_0005"]
