"""`ninja-desk psa check`: what a PSA database is and whether NinjaDesk can work on it.

Read-only: it never writes (on PostgreSQL the whole check runs in a READ ONLY transaction).
It answers what an admin asks before pointing NinjaDesk at an Alga database: which kind of
database, which tenants, what NinjaDesk would create (`psa migrate`), which of Alga's tables
lack a column NinjaDesk needs, whether Alga's own NinjaOne integration is running for a tenant
(then NinjaDesk runs as a companion unless `psa setup --take-over`), which boards cannot close a
ticket, and what will not happen in Alga without its Redis event bus.
"""

from __future__ import annotations

import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

import sqlalchemy as sa

from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.database_kind import DatabaseKind, detect_kind
from ninja_desk.psa.integration_settings import COMPANION, PRIMARY
from ninja_desk.psa.schema import (
    OWN_TABLE_NAMES,
    boards,
    metadata,
    ninjadesk_integration_settings,
    rmm_integrations,
    statuses,
    tenants,
)

NO_REDIS = (
    "No Alga Redis URL is configured: tickets NinjaDesk makes, updates or closes will not start "
    "Alga's SLA timers, send Alga's in-app notifications or ticket e-mails, or reach Alga's "
    "search before its nightly indexing; set one with `ninja-desk psa setup --alga-redis-url "
    "redis://HOST:6379`."
)
NO_CLOSED_STATUS = (
    "has no closed ticket status, so NinjaDesk cannot close (auto-resolve) tickets there; mark "
    "a status of that board as closed in Alga, or choose another board with `psa setup --board`."
)


@dataclass
class AlgaNinjaOne:
    present: bool = False
    integration_id: str | None = None
    is_active: bool = False
    device_sync: bool = False
    alert_polling: bool = False
    last_sync_at: str | None = None
    sync_status: str | None = None
    active: bool = False  # Alga itself syncs devices or polls alerts for this tenant


@dataclass
class TenantCheck:
    tenant: str
    client_name: str
    suspended: bool = False
    alga_ninjaone: AlgaNinjaOne = field(default_factory=AlgaNinjaOne)
    ninjadesk_set_up: bool = False
    mode: str = PRIMARY
    mode_reason: str = ""
    board: str | None = None
    service_user_set: bool = False
    boards_without_closed_status: list[str] = field(default_factory=list)
    alga_redis_configured: bool = False
    notes: list[str] = field(default_factory=list)


@dataclass
class CheckReport:
    database: str
    kind: str
    usable: bool = True
    ready: bool = False
    needs_migrate: bool = False
    revision: str | None = None
    head: str | None = None
    tenants: list[TenantCheck] = field(default_factory=list)
    missing_tables: list[str] = field(default_factory=list)
    incompatible: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def redacted(url: str) -> str:
    return sa.make_url(url).render_as_string(hide_password=True)


def check_database(url: str) -> CheckReport:
    """Inspect the database at `url` (raises SQLAlchemyError when it cannot be reached)."""
    from ninja_desk.psa.migrator import current_revision, head_revision

    engine = create_psa_engine(url)
    try:
        with engine.connect() as conn:
            conn.info["psa_readonly"] = True
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.exec_driver_sql("SET TRANSACTION READ ONLY")
                kind = detect_kind(conn)
                report = CheckReport(redacted(url), str(kind), head=head_revision())
                if kind is not DatabaseKind.NINJADESK_0005:
                    report.revision = current_revision(conn)
                _check_shape(conn, kind, report)
                if kind in (DatabaseKind.ALGA, DatabaseKind.NINJADESK):
                    report.tenants = _check_tenants(conn)
    finally:
        engine.dispose()
    _conclude(report)
    return report


def _check_shape(conn: sa.Connection, kind: DatabaseKind, report: CheckReport) -> None:
    if kind is DatabaseKind.UNKNOWN:
        report.usable = False
        report.problems.append(
            "This database is neither empty, nor an Alga PSA database, nor NinjaDesk's own; "
            "NinjaDesk will not create tables in it. Point --psa-url at your Alga database."
        )
        return
    if kind is DatabaseKind.NINJADESK_0005:
        report.needs_migrate = True
        report.notes.append(
            "This is a NinjaDesk database from before Alga (schema 0005): `ninja-desk psa "
            "migrate` moves its clients, assets, tickets, mappings, rules and alerts into "
            "Alga's layout."
        )
        return
    inspector = sa.inspect(conn)
    present = set(inspector.get_table_names())
    for table in metadata.sorted_tables:
        if table.name not in present:
            report.missing_tables.append(table.name)
            continue
        have = {c["name"] for c in inspector.get_columns(table.name)}
        lacking = [c.name for c in table.columns if c.name not in have]
        if lacking:
            report.incompatible.append(
                {
                    "table": table.name,
                    "missing_columns": lacking,
                    "owner": "ninjadesk" if table.name in OWN_TABLE_NAMES else "alga",
                }
            )
    if report.missing_tables or report.revision != report.head:
        report.needs_migrate = True
    for item in report.incompatible:
        if item["owner"] == "alga":
            report.usable = False
            report.problems.append(
                f"Alga's table {item['table']} lacks the column(s) "
                f"{', '.join(item['missing_columns'])} that NinjaDesk needs; upgrade Alga "
                "(NinjaDesk never alters Alga's tables)."
            )
        else:
            report.needs_migrate = True


def _check_tenants(conn: sa.Connection) -> list[TenantCheck]:
    present = set(sa.inspect(conn).get_table_names())
    t = tenants.c
    out: list[TenantCheck] = []
    for row in conn.execute(
        sa.select(t.tenant, t.client_name, t.suspended_at).order_by(t.client_name)
    ):
        item = TenantCheck(str(row.tenant), row.client_name, row.suspended_at is not None)
        if "rmm_integrations" in present:
            _alga_integration(conn, row.tenant, item)
        if "ninjadesk_integration_settings" in present and item.alga_ninjaone.integration_id:
            _ninjadesk_settings(conn, row.tenant, item)
        item.boards_without_closed_status = _boards_without_closed(conn, row.tenant)
        _decide_mode(item)
        out.append(item)
    return out


def _alga_integration(conn: sa.Connection, tenant: uuid.UUID, item: TenantCheck) -> None:
    from ninja_desk.psa.integrations import PROVIDER, Integration

    i = rmm_integrations.c
    row = conn.execute(
        sa.select(
            i.integration_id,
            i.provider,
            i.instance_url,
            i.is_active,
            i.connected_at,
            i.last_sync_at,
            i.last_full_sync_at,
            i.last_incremental_sync_at,
            i.sync_status,
            i.sync_error,
            i.settings,
        ).where(i.tenant == tenant, i.provider == PROVIDER)
    ).first()
    if row is None:
        return
    values = dict(row._mapping)
    values["settings"] = values["settings"] if isinstance(values["settings"], dict) else {}
    found = Integration(**values)
    item.alga_ninjaone = AlgaNinjaOne(
        present=True,
        integration_id=str(found.integration_id),
        is_active=found.is_active,
        device_sync=found.alga_device_sync,
        alert_polling=found.alga_alert_polling,
        last_sync_at=found.last_sync_at.isoformat() if found.last_sync_at else None,
        sync_status=found.sync_status,
        active=found.alga_syncing,
    )


def _ninjadesk_settings(conn: sa.Connection, tenant: uuid.UUID, item: TenantCheck) -> None:
    n = ninjadesk_integration_settings.c
    row = conn.execute(
        sa.select(n.mode, n.board_id, n.service_user_id, n.alga_redis_url).where(
            n.tenant == tenant,
            n.integration_id == uuid.UUID(str(item.alga_ninjaone.integration_id)),
        )
    ).first()
    if row is None:
        return
    item.ninjadesk_set_up = True
    item.mode = row.mode
    item.service_user_set = row.service_user_id is not None
    item.alga_redis_configured = bool(row.alga_redis_url)
    if row.board_id is not None:
        b = boards.c
        item.board = conn.scalar(
            sa.select(b.board_name).where(b.tenant == tenant, b.board_id == row.board_id)
        )


def _boards_without_closed(conn: sa.Connection, tenant: uuid.UUID) -> list[str]:
    b, st = boards.c, statuses.c
    closed = (
        sa.select(sa.literal(1))
        .where(
            st.tenant == b.tenant,
            st.board_id == b.board_id,
            st.is_closed.is_(True),
            sa.or_(st.status_type == "ticket", st.item_type == "ticket"),
        )
        .exists()
    )
    return list(
        conn.scalars(
            sa.select(b.board_name)
            .where(
                b.tenant == tenant,
                sa.func.coalesce(b.is_inactive, False).is_(False),
                ~closed,
            )
            .order_by(b.display_order, b.board_name)
        )
    )


def _decide_mode(item: TenantCheck) -> None:
    alga = item.alga_ninjaone
    if item.ninjadesk_set_up and item.mode == COMPANION:
        item.mode_reason = (
            "NinjaDesk is set up as a companion: Alga's own NinjaOne integration pushes assets "
            "and makes alert tickets; NinjaDesk syncs its own cache and remote-connects. "
            "`ninja-desk psa setup --take-over` hands both to NinjaDesk."
        )
    elif alga.active:
        item.mode = COMPANION
        what = " and ".join(
            w
            for w, on in (("syncs devices", alga.device_sync), ("polls alerts", alga.alert_polling))
            if on
        )
        last = f" (last sync {alga.last_sync_at})" if alga.last_sync_at else ""
        item.mode_reason = (
            f"Alga's own NinjaOne integration is active for this tenant and {what}{last}: "
            "NinjaDesk will run as a companion (no asset push, no alert tickets) unless "
            "`ninja-desk psa setup --take-over`."
        )
        if item.ninjadesk_set_up:
            item.notes.append(
                "NinjaDesk was set up as primary, but Alga's own device sync or alert polling is "
                "on again; NinjaDesk runs as a companion until `psa setup --take-over` is run "
                "again."
            )
    else:
        item.mode = PRIMARY
        item.mode_reason = (
            "Alga's own NinjaOne integration is not running for this tenant: NinjaDesk pushes "
            "assets and makes alert tickets."
        )
    if not item.ninjadesk_set_up:
        item.notes.append(
            "NinjaDesk is not set up for this tenant yet: run `ninja-desk psa setup --tenant "
            f"'{item.client_name}' ...`."
        )
    names = item.boards_without_closed_status
    if names:
        listed = ", ".join(f"'{n}'" for n in names)
        item.notes.append(
            f"Board {listed} {NO_CLOSED_STATUS}"
            if len(names) == 1
            else f"Boards {listed} have {NO_CLOSED_STATUS.removeprefix('has ')}"
        )
    if not item.alga_redis_configured:
        item.notes.append(NO_REDIS)
    if item.suspended:
        item.notes.append("This tenant is suspended in Alga; NinjaDesk will not act for it.")


def _conclude(report: CheckReport) -> None:
    if report.needs_migrate and report.usable:
        what = (
            f"creates {', '.join(report.missing_tables)}"
            if report.missing_tables
            else "brings the schema to this build"
        )
        report.notes.append(f"Run `ninja-desk psa migrate --psa-url URL`: it {what}.")
    if report.usable and not report.tenants and report.kind != "ninjadesk-0005":
        report.notes.append(
            "There is no tenant yet; on an Alga database tenants come from Alga's onboarding."
        )
    report.ready = report.usable and not report.needs_migrate and bool(report.tenants)


def human_lines(report: CheckReport) -> list[str]:
    """The report as a few lines of text (what `psa check` prints without --json)."""
    lines = [f"Database: {report.database}", f"Kind: {report.kind}"]
    if report.revision or report.head:
        lines.append(f"NinjaDesk schema: {report.revision or 'none'} (this build: {report.head})")
    if report.missing_tables:
        lines.append(f"Missing (psa migrate creates them): {', '.join(report.missing_tables)}")
    for item in report.incompatible:
        lines.append(
            f"Incompatible: {item['table']} lacks {', '.join(item['missing_columns'])} "
            f"({item['owner']})"
        )
    for t in report.tenants:
        lines.append(f"Tenant {t.client_name} ({t.tenant}): mode {t.mode}")
        alga = t.alga_ninjaone
        if alga.present:
            lines.append(
                f"  Alga's NinjaOne row: active={_yn(alga.is_active)}, device sync="
                f"{_yn(alga.device_sync)}, alert polling={_yn(alga.alert_polling)}, last sync "
                f"{alga.last_sync_at or 'never'}"
            )
        else:
            lines.append("  Alga's NinjaOne row: none")
        lines.append(f"  {t.mode_reason}")
        for note in t.notes:
            lines.append(f"  - {note}")
    for problem in report.problems:
        lines.append(f"Problem: {problem}")
    for note in report.notes:
        lines.append(f"Note: {note}")
    lines.append(
        "Usable: "
        + ("yes" if report.usable else "no")
        + ("" if not report.usable else (", ready" if report.ready else ", not ready yet"))
    )
    return lines


def _yn(flag: bool) -> str:
    return "yes" if flag else "no"
