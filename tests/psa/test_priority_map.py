"""The severity -> priority map is per tenant, by the tenant's own priorities, never by English
names: defaults from ITIL levels, changed by name or id, refused with a sentence otherwise, and
used for the tickets alerts make (SQLite and PostgreSQL; the CLI on SQLite)."""

from __future__ import annotations

import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.psa import integration_settings as isettings
from ninja_desk.psa.schema import priorities
from ninja_desk.psa.tenancy import TenantSession
from tests.psa.conftest import PsaEnv
from tests.psa.helpers import ninjaone_integration
from tests.psa.test_setup_cli import cli, cli_json, env  # noqa: F401


def _add_priority(s: TenantSession, name: str, order: int, admin: uuid.UUID) -> uuid.UUID:
    pid = uuid.uuid4()
    s.conn.execute(
        priorities.insert().values(
            tenant=s.tenant,
            priority_id=pid,
            priority_name=name,
            order_number=order,
            item_type="ticket",
            created_by=admin,
        )
    )
    return pid


def test_defaults_follow_itil_levels_and_changes_are_by_the_tenant_s_names(psa: PsaEnv) -> None:
    iid = ninjaone_integration(psa.psa, psa.tenant)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        custom = _add_priority(s, "Enchanted Emergency", 3, psa.admin_id)
        before = isettings.severity_map(s, isettings.load_settings(s, iid))
        assert before["critical"][1] == "P1 - Critical" and not before["critical"][2]
        assert before["none"][1] == "P5 - Planning"
        isettings.set_severity_priorities(s, iid, {"Critical": "enchanted emergency"})
        with pytest.raises(ValueError, match="no ticket priority 'urgent'"):
            isettings.set_severity_priorities(s, iid, {"major": "urgent"})
        with pytest.raises(ValueError, match="not an alert severity"):
            isettings.set_severity_priorities(s, iid, {"disaster": "P1 - Critical"})
    with psa.psa.tenant_session(psa.tenant) as s:
        settings = isettings.load_settings(s, iid)
        after = isettings.severity_map(s, settings)
        assert after["critical"] == (custom, "Enchanted Emergency", True)
        assert after["major"][1] == "P2 - High"  # untouched entries keep their default
        assert isettings.priority_for(s, settings, "critical") == custom


def test_the_cli_shows_and_changes_the_map(env: dict[str, str], tmp_path: Path) -> None:  # noqa: F811
    from ninja_desk.psa.migrator import migrate
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import create_tenant

    url = f"sqlite:///{tmp_path / 'psa.sqlite3'}"
    migrate(url)
    db = PsaDatabase(url)
    create_tenant(db, "Local MSP")
    ninjaone_integration(db, db_tenant := _tenant_of(db))
    db.dispose()
    shown = cli_json(env, "psa", "priorities", "--psa-url", url, "--tenant", "Local MSP")
    assert shown["severity_priorities"]["critical"]["priority"] == "P1 - Critical"
    changed = cli_json(
        env, "psa", "priorities", "--psa-url", url, "--tenant", str(db_tenant),
        "--set", "minor=P3 - Medium",
    )  # fmt: skip
    assert changed["severity_priorities"]["minor"] == {
        **changed["severity_priorities"]["minor"],
        "priority": "P3 - Medium",
        "chosen": True,
    }
    refused = cli(env, "psa", "priorities", "--psa-url", url, "--tenant", "Local MSP",
                  "--set", "minor")  # fmt: skip
    assert refused.returncode == 2 and "SEVERITY=PRIORITY" in refused.stderr


def _tenant_of(db) -> uuid.UUID:  # type: ignore[no-untyped-def]
    from ninja_desk.psa.schema import tenants

    with db.engine.connect() as conn:
        return conn.execute(sa.select(tenants.c.tenant)).scalar_one()
