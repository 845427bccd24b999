"""`ninja-desk psa check|migrate|setup|map` end to end, each in its own process.

Against PostgreSQL databases created here (an Alga-shaped one built by `psa migrate` plus a
tenant the way Alga seeds one, and the same with Alga's own NinjaOne integration active) and a
SQLite file. Stable spellings: scripts rely on the flags and JSON keys checked here.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.psa.clients import create_client
from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.schema import (
    ninjadesk_integration_settings,
    rmm_integrations,
    rmm_organization_mappings,
    statuses,
)
from ninja_desk.psa.tenancy import PsaDatabase
from ninja_desk.psa.tenants import create_tenant

SIM = "http://127.0.0.1:9"  # never contacted: set-up only records the NinjaOne URL


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NINJA_DESK_")}
    clean["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    clean["NINJA_DESK_DATA_DIR"] = str(tmp_path / "data")
    return clean


def cli(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "ninja_desk.cli.main", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc


def cli_json(env: dict[str, str], *argv: str, code: int = 0) -> dict:
    proc = cli(env, *argv, "--json")
    assert proc.returncode == code, (proc.stdout, proc.stderr)
    return json.loads(proc.stdout)


@pytest.fixture
def pg_url(pg_server_url: str) -> Iterator[str]:
    admin = sa.create_engine(f"{pg_server_url}/postgres", isolation_level="AUTOCOMMIT")
    name = f"nd_setup_cli_{uuid.uuid4().hex[:10]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql://{pg_server_url.split('://', 1)[1]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _tenant(url: str, name: str) -> tuple[uuid.UUID, str]:
    db = PsaDatabase(url)
    try:
        info = create_tenant(db, name)
        return info.tenant, f"admin@{info.tenant.hex[:8]}.invalid"
    finally:
        db.dispose()


def _alga_own_integration(url: str, tenant: uuid.UUID) -> uuid.UUID:
    """The row Alga's own NinjaOne integration keeps: active, syncing devices, polling alerts."""
    db = PsaDatabase(url)
    integration_id = uuid.uuid4()
    now = utcnow()
    try:
        with db.tenant_session(tenant) as s:
            s.conn.execute(
                rmm_integrations.insert().values(
                    tenant=tenant,
                    integration_id=integration_id,
                    provider="ninjaone",
                    instance_url=SIM,
                    is_active=True,
                    connected_at=now - timedelta(days=3),
                    last_sync_at=now - timedelta(minutes=20),
                    sync_status="completed",
                    settings={
                        "region": "EU",
                        "webhookSecret": "alga-secret",
                        "deviceSync": {"enabled": True, "intervalMinutes": 60},
                        "alertPolling": {"enabled": True, "intervalMinutes": 5},
                    },
                    created_at=now,
                    updated_at=now,
                )
            )
    finally:
        db.dispose()
    return integration_id


def _rows(url: str, table: sa.Table, tenant: uuid.UUID) -> list[dict]:
    db = PsaDatabase(url)
    try:
        with db.engine.connect() as conn:
            return [
                dict(r._mapping)
                for r in conn.execute(sa.select(table).where(table.c.tenant == tenant))
            ]
    finally:
        db.dispose()


@pytest.mark.postgres
def test_postgres_check_migrate_setup_from_an_empty_database(env, pg_url):
    empty = cli_json(env, "psa", "check", "--psa-url", pg_url)
    assert (empty["kind"], empty["usable"], empty["needs_migrate"]) == ("empty", True, True)
    assert "rmm_integrations" in empty["missing_tables"]
    assert "ninjadesk_integration_settings" in empty["missing_tables"]
    assert empty["tenants"] == [] and not empty["ready"]

    dry = cli_json(env, "psa", "migrate", "--psa-url", pg_url, "--dry-run")
    assert dry["dry_run"] and dry["kind"] == "empty" and "tickets" in dry["created_tables"]
    assert cli_json(env, "psa", "check", "--psa-url", pg_url)["kind"] == "empty"

    first = cli(env, "psa", "migrate", "--psa-url", pg_url)
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("Database kind: empty\nCreated ")
    again = cli(env, "psa", "migrate", "--psa-url", pg_url)
    assert again.returncode == 0, again.stderr
    assert "Nothing to create" in again.stdout

    tenant, admin_email = _tenant(pg_url, "Acme MSP")
    report = cli_json(env, "psa", "check", "--psa-url", pg_url)
    assert report["kind"] == "ninjadesk" and report["ready"] and report["missing_tables"] == []
    [t] = report["tenants"]
    assert (t["tenant"], t["client_name"], t["mode"]) == (str(tenant), "Acme MSP", "primary")
    assert not t["alga_ninjaone"]["present"] and not t["ninjadesk_set_up"]
    assert t["boards_without_closed_status"] == []
    assert any("Alga Redis URL" in n and "SLA" in n for n in t["notes"])

    made = cli_json(
        env,
        *("psa", "setup", "--psa-url", pg_url, "--tenant", "acme msp"),
        *("--ninjaone-url", SIM, "--client-id", "cid-1"),
        *("--service-user", admin_email.upper(), "--board", "General Support"),
        *("--alga-redis-url", "redis://127.0.0.1:6379/0"),
    )
    assert made["tenant"] == str(tenant) and made["created_integration"]
    assert (made["mode"], made["took_over"]) == ("primary", False)
    assert made["board"]["name"] == "General Support"
    assert made["service_user"]["email"] == admin_email
    assert made["alga_redis_url_configured"]
    # a row NinjaDesk makes has Alga's own sync and polling off: Alga has no credentials for it
    assert made["rmm_settings"]["deviceSync"] == {"enabled": False}
    assert made["rmm_settings"]["alertPolling"] == {"enabled": False}
    assert made["rmm_settings"]["clientId"] == "cid-1"

    # again, by uuid and with a region: the same row, settings merged, nothing replaced
    again = cli_json(
        env,
        *("psa", "setup", "--psa-url", pg_url, "--tenant", str(tenant)),
        *("--region", "eu", "--client-id", "cid-1"),
    )
    assert again["integration_id"] == made["integration_id"] and not again["created_integration"]
    assert again["rmm_settings"]["region"] == "EU"
    assert again["instance_url"] == "https://eu.ninjarmm.com"
    assert again["board"]["name"] == "General Support"  # kept from the first run
    assert again["service_user"]["email"] == admin_email
    assert len(_rows(pg_url, rmm_integrations, tenant)) == 1
    [own] = _rows(pg_url, ninjadesk_integration_settings, tenant)
    assert own["mode"] == "primary" and own["alga_redis_url"] == "redis://127.0.0.1:6379/0"

    checked = cli_json(env, "psa", "check", "--psa-url", pg_url)["tenants"][0]
    assert checked["ninjadesk_set_up"] and checked["board"] == "General Support"
    assert checked["alga_redis_configured"] and not checked["alga_ninjaone"]["active"]


@pytest.mark.postgres
def test_alga_own_integration_active_means_companion_until_take_over(env, pg_url):
    assert cli(env, "psa", "migrate", "--psa-url", pg_url).returncode == 0
    tenant, admin_email = _tenant(pg_url, "Oz")
    alga_row = _alga_own_integration(pg_url, tenant)

    report = cli_json(env, "psa", "check", "--psa-url", pg_url)
    [t] = report["tenants"]
    alga = t["alga_ninjaone"]
    assert alga["active"] and alga["device_sync"] and alga["alert_polling"]
    assert alga["integration_id"] == str(alga_row) and alga["last_sync_at"]
    assert t["mode"] == "companion"
    assert "companion" in t["mode_reason"] and "--take-over" in t["mode_reason"]
    human = cli(env, "psa", "check", "--psa-url", pg_url)
    assert human.returncode == 0 and "mode companion" in human.stdout

    # another NinjaOne instance than Alga's own: refused, nothing written
    other = cli(
        env,
        *("psa", "setup", "--psa-url", pg_url, "--tenant", "Oz"),
        *("--region", "oc", "--client-id", "cid"),
    )
    assert other.returncode == 2 and "same NinjaOne instance" in other.stderr
    assert _rows(pg_url, ninjadesk_integration_settings, tenant) == []

    companion = cli_json(
        env,
        *("psa", "setup", "--psa-url", pg_url, "--tenant", "Oz"),
        *("--ninjaone-url", SIM, "--client-id", "cid", "--service-user", admin_email),
    )
    assert companion["mode"] == "companion" and not companion["created_integration"]
    assert companion["integration_id"] == str(alga_row)  # Alga's row, never a second one
    settings = companion["rmm_settings"]
    assert settings["webhookSecret"] == "(set)"  # kept, and never printed
    assert settings["deviceSync"] == {"enabled": True, "intervalMinutes": 60}
    assert settings["clientId"] == "cid" and settings["region"] == "EU"
    [row] = _rows(pg_url, rmm_integrations, tenant)
    assert row["settings"]["webhookSecret"] == "alga-secret"

    taken = cli_json(
        env,
        *("psa", "setup", "--psa-url", pg_url, "--tenant", "Oz"),
        *("--ninjaone-url", SIM, "--client-id", "cid", "--take-over"),
    )
    assert (taken["mode"], taken["took_over"]) == ("primary", True)
    assert any("now off" in n for n in taken["notes"])
    [row] = _rows(pg_url, rmm_integrations, tenant)
    assert row["settings"]["deviceSync"] == {"enabled": False, "intervalMinutes": 60}
    assert row["settings"]["alertPolling"] == {"enabled": False, "intervalMinutes": 5}
    assert row["settings"]["webhookSecret"] == "alga-secret" and row["is_active"]
    after = cli_json(env, "psa", "check", "--psa-url", pg_url)["tenants"][0]
    assert (after["mode"], after["alga_ninjaone"]["active"]) == ("primary", False)

    # Alga's own polling switched back on in Alga: NinjaDesk steps back to companion
    db = PsaDatabase(pg_url)
    with db.tenant_session(tenant) as s:
        s.conn.execute(
            rmm_integrations.update()
            .where(rmm_integrations.c.tenant == tenant)
            .values(settings={**row["settings"], "alertPolling": {"enabled": True}})
        )
    db.dispose()
    again = cli_json(env, "psa", "check", "--psa-url", pg_url)["tenants"][0]
    assert again["mode"] == "companion"
    assert any("on again" in n for n in again["notes"])


def test_sqlite_check_migrate_setup_map(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    assert cli_json(env, "psa", "check", "--psa-url", url)["kind"] == "empty"
    refused = cli(env, "psa", "setup", "--psa-url", url, "--tenant", "x", "--region", "eu")
    assert refused.returncode == 2  # argparse: --client-id is required
    assert cli(env, "psa", "migrate", "--psa-url", url).returncode == 0
    not_yet = cli(
        env, "psa", "setup", "--psa-url", url, "--tenant", "Nobody", "--region", "eu",
        "--client-id", "c",
    )  # fmt: skip
    assert not_yet.returncode == 2
    assert "There is no tenant 'Nobody'" in not_yet.stderr
    tenant, _admin = _tenant(url, "Local MSP")
    no_integration = cli(env, "psa", "map", "--psa-url", url, "--tenant", "Local MSP", "--auto")
    assert no_integration.returncode == 2 and "psa setup" in no_integration.stderr

    made = cli_json(
        env,
        *("psa", "setup", "--psa-url", url, "--tenant", "Local MSP"),
        *("--region", "app", "--client-id", "cid", "--board", "General Support"),
    )
    assert made["mode"] == "primary" and made["rmm_settings"]["region"] == "US"
    assert any("No service user" in n for n in made["notes"])
    bad_board = cli(
        env, "psa", "setup", "--psa-url", url, "--tenant", "Local MSP", "--region", "app",
        "--client-id", "cid", "--board", "Nope",
    )  # fmt: skip
    assert bad_board.returncode == 2 and "'General Support'" in bad_board.stderr
    bad_user = cli(
        env, "psa", "setup", "--psa-url", url, "--tenant", "Local MSP", "--region", "app",
        "--client-id", "cid", "--service-user", "ghost@nowhere.invalid",
    )  # fmt: skip
    assert bad_user.returncode == 2 and "no Alga user" in bad_user.stderr

    # organizations a sync recorded in rmm_organization_mappings; one client matches a name
    db = PsaDatabase(url)
    iid = uuid.UUID(made["integration_id"])
    with db.tenant_session(tenant) as s:
        create_client(s, "Acme Ltd")
        create_client(s, "Twin")
        create_client(s, "Twin Inc")
        now = utcnow()
        s.conn.execute(
            rmm_organization_mappings.insert(),
            [
                {
                    "tenant": tenant,
                    "mapping_id": uuid.uuid4(),
                    "integration_id": iid,
                    "external_organization_id": str(org_id),
                    "external_organization_name": name,
                    "created_at": now,
                    "updated_at": now,
                }
                for org_id, name in ((1, "ACME"), (2, "Globex"), (3, "Twin"))
            ],
        )
    db.dispose()
    mapped = cli_json(
        env, "psa", "map", "--psa-url", url, "--tenant", "Local MSP", "--auto", "--create-clients"
    )
    assert mapped["organizations"] == 3 and mapped["source"] == "rmm_organization_mappings"
    assert [(m["organization"], m["client"]) for m in mapped["mapped"]] == [("ACME", "Acme Ltd")]
    assert [c["organization"] for c in mapped["created_clients"]] == ["Globex"]
    assert [u["organization"] for u in mapped["unmapped"]] == ["Twin"]
    assert "Several clients match its name (Twin, Twin Inc)" in mapped["unmapped"][0]["reason"]
    rerun = cli_json(env, "psa", "map", "--psa-url", url, "--tenant", "Local MSP", "--auto")
    assert rerun["already_mapped"] == 2 and rerun["mapped"] == [] and len(rerun["unmapped"]) == 1


def test_check_exit_codes_for_unusable_databases(env, tmp_path):
    foreign = tmp_path / "foreign.sqlite3"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id integer primary key)")
    report = cli_json(env, "psa", "check", "--psa-url", f"sqlite:///{foreign}", code=1)
    assert report["kind"] == "unknown" and not report["usable"]
    assert "neither empty" in report["problems"][0]

    # an Alga table lacking a column NinjaDesk needs: unusable, and NinjaDesk never alters it
    old = tmp_path / "old.sqlite3"
    url = f"sqlite:///{old}"
    assert cli(env, "psa", "migrate", "--psa-url", url).returncode == 0
    with sqlite3.connect(old) as conn:
        conn.execute("ALTER TABLE assets DROP COLUMN agent_status")
    human = cli(env, "psa", "check", "--psa-url", url)
    assert human.returncode == 1
    assert "Incompatible: assets lacks agent_status (alga)" in human.stdout
    report = cli_json(env, "psa", "check", "--psa-url", url, code=1)
    assert report["incompatible"] == [
        {"table": "assets", "missing_columns": ["agent_status"], "owner": "alga"}
    ]

    down = cli(env, "psa", "check", "--psa-url", "postgresql://nobody@127.0.0.1:1/none")
    assert down.returncode == 2 and "PSA database" in down.stderr
    assert down.stderr.startswith("ninja-desk: Could not ") and len(down.stderr.splitlines()) == 1


def test_boards_without_a_closed_status_are_named(env, tmp_path):
    url = f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    assert cli(env, "psa", "migrate", "--psa-url", url).returncode == 0
    tenant, _admin = _tenant(url, "Oz")
    db = PsaDatabase(url)
    with db.tenant_session(tenant) as s:
        s.conn.execute(statuses.update().where(statuses.c.tenant == tenant).values(is_closed=False))
    db.dispose()
    [t] = cli_json(env, "psa", "check", "--psa-url", url)["tenants"]
    assert t["boards_without_closed_status"] == ["General Support"]
    assert any("cannot close" in n for n in t["notes"])
