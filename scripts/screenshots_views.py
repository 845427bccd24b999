"""Render the Alerts, Tickets, Software, Settings and first-run wizard views to PNG.

    QT_QPA_PLATFORM=offscreen .venv/bin/python scripts/screenshots_views.py [out_dir]

Demo data: a synthetic fleet in a temporary cache (cache/synthetic.py) plus a migrated
SQLite PSA with a tenant, clients, mappings and rules, so every pane has something real in it.
`SCREENSHOTS` is a list of (name, build(ctx) -> QWidget) that scripts/screenshots.py may import.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from ninja_desk.cache.store import LocalCache  # noqa: E402
from ninja_desk.psa.permissions import ALL_PERMISSIONS, VIEW_ALERTS, VIEW_DEVICES  # noqa: E402
from ninja_desk.settings import Settings  # noqa: E402
from ninja_desk.ui.context import AppContext  # noqa: E402

SIZE = (1280, 780)


class _MemorySecrets:
    def __init__(self) -> None:
        self.values = {"relay_token": "demo"}

    def get(self, key: str) -> str | None:
        return self.values.get(key)

    def set(self, key: str, value: str) -> None:
        self.values[key] = value

    def delete(self, key: str) -> None:
        self.values.pop(key, None)


def _decorate_cache(cache: LocalCache) -> None:
    """Tickets, decisions and a reset alert on top of the synthetic fleet."""
    from ninja_desk.cache.synthetic import add_ticket

    select = (
        "SELECT a.uid, a.device_id, a.message, a.severity, o.name AS org FROM alerts a"
        " JOIN devices d ON d.id = a.device_id JOIN organizations o ON o.id = d.organization_id"
        " WHERE {} ORDER BY a.create_time DESC LIMIT 8"
    )
    # Decisions that agree with the demo rules: tickets for major+ on servers, minor suppressed.
    ticketed = cache.rows(
        select.format("a.severity IN ('CRITICAL', 'MAJOR') AND d.node_class LIKE '%SERVER'")
    )
    suppressed = cache.rows(
        select.format("a.severity = 'MINOR' AND d.node_class = 'WINDOWS_WORKSTATION'")
    )
    ticketed, suppressed = ticketed[:6], suppressed[:6]
    alerts = ticketed
    for n, alert in enumerate(alerts[:6]):
        add_ticket(
            cache,
            f"t-{n}",
            alert["device_id"],
            number=str(2041 + n),
            title=f"{alert['severity'].title()}: {alert['message']}",
            status=("Open", "In progress", "Waiting on client")[n % 3],
            alert_uid=alert["uid"],
            client_name=alert["org"],
        )
    add_ticket(
        cache,
        "t-9",
        suppressed[-1]["device_id"],
        number="2030",
        title="Replace UPS battery",
        status="Closed",
        client_name=suppressed[-1]["org"],
    )

    def write(conn: object) -> None:
        from sqlalchemy import text

        for n, alert in enumerate(alerts[:6]):
            conn.execute(
                text(
                    "UPDATE alerts SET ticket_id = :t, ticket_number = :n, decision = :d"
                    " WHERE uid = :u"
                ),
                {
                    "t": f"t-{n}",
                    "n": str(2041 + n),
                    "u": alert["uid"],
                    "d": json.dumps(
                        {
                            "outcome": "ticket",
                            "reason": "Rule 'Critical and major on servers' matched.",
                            "rule": "Critical and major on servers",
                            "action": "create_ticket",
                            "priority": "urgent" if alert["severity"] == "CRITICAL" else "high",
                        }
                    ),
                },
            )
        for alert in suppressed:
            conn.execute(
                text("UPDATE alerts SET decision = :d WHERE uid = :u"),
                {
                    "u": alert["uid"],
                    "d": json.dumps(
                        {
                            "outcome": "suppressed",
                            "reason": "Suppressed by rule 'Ignore minor workstation alerts'.",
                            "rule": "Ignore minor workstation alerts",
                            "action": "suppress",
                        }
                    ),
                },
            )
        conn.execute(
            text(
                "UPDATE alerts SET acknowledged_at = :t, acknowledged_by = 'sam'"
                " WHERE uid IN (SELECT uid FROM alerts LIMIT 3 OFFSET 12)"
            ),
            {"t": time.time() - 600},
        )
        conn.execute(
            text(
                "INSERT OR REPLACE INTO psa_clients (id, name) SELECT 'c-' || id, name"
                " FROM organizations"
            )
        )

    cache.write_blocking(write)


def _demo_psa(folder: Path, cache: LocalCache) -> object:
    from ninja_desk.core.organizations import Organization
    from ninja_desk.psa.alert_rules import create_rule
    from ninja_desk.psa.clients import create_client
    from ninja_desk.psa.integrations import connect_integration
    from ninja_desk.psa.migrator import migrate
    from ninja_desk.psa.org_mapping import map_organization, record_seen_organizations
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.psa.tenants import create_tenant

    url = f"sqlite:///{folder / 'psa.sqlite3'}"
    migrate(url)
    db = PsaDatabase(url)
    info = create_tenant(db, "Northwind MSP")
    orgs = [
        Organization(id=r["id"], name=r["name"])
        for r in cache.rows("SELECT id, name FROM organizations ORDER BY id")
    ]
    with db.tenant_session(info.tenant, info.admin_user_id) as s:
        integration = connect_integration(s, "https://eu.ninjarmm.com", oauth_client_id="demo")
        record_seen_organizations(s, integration, orgs)
        for n, org in enumerate(orgs):
            if n % 3 == 0:
                map_organization(s, integration, org, create_client(s, org.name))
            elif n % 3 == 1:
                create_client(s, f"{org.name} Ltd")  # suggested by name, not yet mapped
        create_rule(
            s,
            integration,
            "Critical and major on servers",
            priority_order=10,
            conditions={
                "severities": ["CRITICAL", "MAJOR"],
                "node_classes": ["WINDOWS_SERVER", "LINUX_SERVER"],
            },
            action={
                "type": "create_ticket",
                "priority": "from_severity",
                "board": "Service desk",
                "title_template": "[{severity}] {message}",
            },
        )
        create_rule(
            s,
            integration,
            "Ignore minor workstation alerts",
            priority_order=20,
            conditions={
                "severities": ["MINOR", "NONE"],
                "node_classes": ["WINDOWS_WORKSTATION", "MAC"],
            },
            action={"type": "suppress"},
        )
        create_rule(
            s,
            integration,
            "Backup failures",
            priority_order=30,
            dry_run=True,
            conditions={"message_contains": "backup"},
            action={"type": "create_ticket", "priority": "high"},
        )
    db.tenant = info.tenant  # type: ignore[attr-defined]
    db.user_id = info.admin_user_id  # type: ignore[attr-defined]
    db.integration_id = integration  # type: ignore[attr-defined]
    return db


def demo_context(folder: Path, *, permissions: frozenset[str] = ALL_PERMISSIONS) -> AppContext:
    from ninja_desk.cache.synthetic import fill_cache

    cache = LocalCache(folder / "cache.sqlite3")
    fill_cache(cache, devices=400, orgs=8)
    _decorate_cache(cache)
    settings = Settings(
        region="eu",
        client_id="demo-client",
        relay_url="https://relay.example.com",
        webhook_registered=True,
        psa_url=f"sqlite:///{folder / 'psa.sqlite3'}",
    )
    ctx = AppContext(
        data_dir=folder,
        cache=cache,
        settings=settings,
        permissions=permissions,
        open_url=lambda _url: None,
    )
    ctx.psa = _demo_psa(folder, cache)
    from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink

    # Shown as connected (the sync engine itself is not needed for these views).
    ctx.sync = SimpleNamespace(running=False, api=None)  # type: ignore[assignment]
    demo_secrets = _MemorySecrets()  # never the real keyring
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: demo_secrets)
    settings.psa_tenant = str(ctx.psa.tenant)
    return ctx


def _alerts(ctx: AppContext) -> QWidget:
    from ninja_desk.ui.views.alerts_view import AlertsView

    view = AlertsView(ctx)
    uid = ctx.cache.scalar("SELECT uid FROM alerts WHERE ticket_id IS NOT NULL LIMIT 1")
    view.select_alert(uid)
    return view


def _tickets(ctx: AppContext) -> QWidget:
    from ninja_desk.ui.views.tickets_view import TicketsView

    view = TicketsView(ctx)
    view.select_ticket("t-0")
    return view


def _software(ctx: AppContext) -> QWidget:
    from ninja_desk.ui.views.software_view import SoftwareView

    view = SoftwareView(ctx)
    view.search("Chrome")
    versions = view.versions
    if versions.rowCount() > 1:
        view.select_title(view.titles.row_at(0)["name"], versions.row_at(0)["version"])
    return view


def _settings(
    page: str, permissions: frozenset[str] | None = None
) -> Callable[[AppContext], QWidget]:
    def build(ctx: AppContext) -> QWidget:
        from ninja_desk.ui.settings.settings_view import SettingsView

        if permissions is not None:
            ctx.permissions = permissions
        view = SettingsView(ctx, relay_secrets=_MemorySecrets())
        view.show_page(page)
        if page == "alert_rules":
            _wait(lambda: view.alert_rules.rules_list.count() > 0)
            view.alert_rules.rules_list.setCurrentRow(0)
            view.alert_rules.test_button.click()
            _wait(lambda: "last 7 days" in view.alert_rules.preview_label.text())
        if page == "org_mapping":
            _wait(lambda: view.org_mapping.model.rowCount() > 0 and not view.org_mapping._busy)
            view.org_mapping.select_org(2)
        return view

    return build


def _wizard(step: int) -> Callable[[AppContext], QWidget]:
    def build(ctx: AppContext) -> QWidget:
        from ninja_desk.ui.wizard.first_run import FirstRunWizard

        wizard = FirstRunWizard(ctx, relay_secrets=_MemorySecrets())
        wizard.open()
        for _ in range(step):
            wizard.next()
        return wizard

    return build


def _wait(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate() and time.monotonic() < deadline:
        QApplication.processEvents()
        time.sleep(0.01)


SCREENSHOTS: list[tuple[str, Callable[[AppContext], QWidget]]] = [
    ("alerts", _alerts),
    ("tickets", _tickets),
    ("software", _software),
    ("settings-integrations", _settings("integrations")),
    ("settings-org-mapping", _settings("org_mapping")),
    ("settings-alert-rules", _settings("alert_rules")),
    ("settings-general", _settings("general")),
    ("settings-read-only", _settings("integrations", frozenset({VIEW_DEVICES, VIEW_ALERTS}))),
    ("wizard-region", _wizard(0)),
    ("wizard-psa", _wizard(2)),
]


def render_all(out_dir: Path) -> list[Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, build in SCREENSHOTS:
            folder = Path(tmp) / name
            folder.mkdir()
            ctx = demo_context(folder)
            widget = build(ctx)
            if not widget.isVisible():
                widget.resize(*SIZE)
                widget.show()
            _wait(lambda: False, 0.3)
            path = out_dir / f"{name}.png"
            widget.grab().save(str(path))
            written.append(path)
            widget.close()
            widget.deleteLater()
            ctx.cache.close()
            ctx.psa.dispose()
    return written


def main() -> int:
    app = QApplication.instance() or QApplication(sys.argv)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs" / "screenshots"
    for path in render_all(out):
        print(path)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
