from __future__ import annotations

import sqlalchemy as sa
from PySide6.QtCore import QModelIndex

from ninja_desk.psa.alert_rules import list_rules
from ninja_desk.psa.permissions import (
    ALL_PERMISSIONS,
    CONFIGURE_ALERT_RULES,
    VIEW_ALERTS,
    denial_sentence,
)
from ninja_desk.psa.schema import boards, priorities
from ninja_desk.sync.rule_preview import clean_conditions, clean_options, matches, preview
from ninja_desk.ui.settings.alert_rules_page import AlertRulesPage
from tests.ui.alerts_tickets_sample_data import N_ALERTS, make_ctx
from tests.ui.settings_psa_fixture import psa_template, settings_psa  # noqa: F401

# Alga's alert classes (NinjaDesk stores the condition name) of every sample alert.
ALERT_CLASSES = ["CPU over 90%", "Disk space"]


def idle(qtbot, page: AlertRulesPage) -> None:
    qtbot.waitUntil(lambda: not page._busy, timeout=10000)


def stored(env) -> list[tuple[str, dict, dict, dict]]:
    with env.db.tenant_session(env.tenant, env.admin) as s:
        rules = list_rules(s, env.integration)
    return [(r.name, r.conditions, r.actions, r.options) for r in rules]


def tenant_ids(env) -> tuple[dict[str, str], dict[str, str]]:
    """The tenant's boards and ticket priorities, name -> id (as text)."""
    with env.db.tenant_session(env.tenant, env.admin) as s:
        b = {r.board_name: str(r.board_id) for r in s.conn.execute(sa.select(boards))}
        p = {r.priority_name: str(r.priority_id) for r in s.conn.execute(sa.select(priorities))}
    return b, p


def names(page: AlertRulesPage) -> list[str]:
    return [page.rules_list.item(i).text() for i in range(page.rules_list.count())]


def test_matches_each_condition():
    alert = {
        "uid": "a",
        "severity": "MAJOR",
        "source_type": "CONDITION",
        "status_code": "DISK",
        "organization_id": 2,
        "node_class": "WINDOWS_SERVER",
        "message": "Disk C: full",
    }
    assert matches({}, alert)
    assert matches({"severities": ["major", "critical"]}, alert)
    assert not matches({"severities": ["critical"]}, alert)
    assert not matches({"activityTypes": ["ANTIVIRUS"]}, alert)
    assert matches({"activityTypes": ["CONDITION"]}, alert)
    assert matches({"sourceTypes": ["COND*"]}, alert)
    assert not matches({"organizationIds": ["1"]}, alert)
    assert matches({"organizationIds": ["2"]}, alert)
    assert matches({}, alert, {2: "c-2"}, {"client_ids": ["c-2"]})
    assert not matches({}, alert, None, {"client_ids": ["c-2"]})  # no mapping: no client
    assert not matches({}, alert, None, {"node_classes": ["MAC"]})
    assert matches({"messagePattern": "disk c"}, alert)
    assert matches({"messagePattern": "cpu|disk"}, alert)
    assert not matches({"messagePattern": "cpu"}, alert)
    assert matches({"keywords": ["memory", "FULL"]}, alert)
    assert not matches({"keywords": ["memory"]}, alert)
    assert clean_conditions(
        {"severities": ["MAJOR"], "messagePattern": "  ", "keywords": [], "alertClasses": ["X"]}
    ) == {"severities": ["major"], "alertClasses": ["X"]}
    assert clean_options({"node_classes": [], "client_ids": ["b", "a"], "dry_run": False}) == {
        "client_ids": ["a", "b"],
        "dry_run": False,
    }


def test_preview_first_match_wins_and_skips_disabled_rules():
    alerts = [
        {"uid": str(i), "severity": s, "message": "m"}
        for i, s in enumerate(["CRITICAL", "CRITICAL", "MINOR", "NONE"])
    ]
    rules = [
        ("off", {"conditions": {}, "is_active": False}),
        ("crit", {"conditions": {"severities": ["critical"]}}),
        ("all", {"conditions": {}}),
    ]
    result = preview(rules, alerts)
    assert result.first_match == {"off": 0, "crit": 2, "all": 2}
    assert result.matched_alone == {"off": 4, "crit": 2, "all": 4}
    assert result.unmatched == 0


def test_create_edit_reorder_and_test_against_a_real_psa(
    qtbot,
    tmp_path,
    settings_psa,  # noqa: F811
):
    env = settings_psa
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS, psa=env.as_user(env.admin))
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    idle(qtbot, page)
    assert page.rules_list.count() == 0
    assert "No rules yet" in page.status_label.text()
    assert not page.save_button.isEnabled()

    boards_by_name, priorities_by_name = tenant_ids(env)
    # The tenant's own names, never English words NinjaDesk assumed.
    assert page.priority_combo.findText("P1 - Critical") >= 0
    assert page.board_combo.findText("General Support") >= 0
    assert "General Support" in page.board_combo.itemText(0)  # the integration's board

    page.new_button.click()
    assert page.dry_run_check.isChecked()  # a new rule starts as a dry run
    assert page.severity_checks["critical"].isChecked()
    page.name_edit.setText("Critical disk alerts")
    page.message_edit.setText("disk")
    page.dry_run_check.setChecked(False)
    page.priority_combo.setCurrentIndex(page.priority_combo.findText("P1 - Critical"))
    page.board_combo.setCurrentIndex(page.board_combo.findText("General Support"))
    page.title_edit.setText("{{severity}}: {{message}}")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    assert stored(env) == [
        (
            "Critical disk alerts",
            {"severities": ["critical"], "messagePattern": "disk"},
            {
                "createTicket": True,
                "boardId": boards_by_name["General Support"],
                "priorityOverride": priorities_by_name["P1 - Critical"],
                "ticketTemplate": {"titleTemplate": "{{severity}}: {{message}}"},
                "autoResolveTicket": True,
                "resetAlertOnTicketClose": True,
            },
            {"dry_run": False, "group_storms": True, "storm_window_minutes": 15},
        )
    ]

    page.new_button.click()
    page.name_edit.setText("Ignore minor")
    page.severity_checks["critical"].setChecked(False)
    page.severity_checks["minor"].setChecked(True)
    page.orgs_list.set_checked([1, 2])
    page.classes_list.set_checked(["WINDOWS_WORKSTATION"])
    page.action_combo.setCurrentIndex(page.action_combo.findData("suppress"))
    assert not page.board_combo.isEnabled()
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    assert names(page) == ["Critical disk alerts", "Ignore minor  (dry run, suppress)"]
    second = stored(env)[1]
    assert second[1] == {"severities": ["minor"], "organizationIds": ["1", "2"]}
    assert second[2]["createTicket"] is False
    assert second[3]["node_classes"] == ["WINDOWS_WORKSTATION"]  # NinjaDesk's option, not Alga's

    # keys the editor does not show survive an edit; storm grouping off drops the window
    with env.db.tenant_session(env.tenant, env.admin) as s:
        from ninja_desk.psa.alert_rules import update_rule

        first_rule = list_rules(s, env.integration)[0]
        update_rule(
            s,
            first_rule.rule_id,
            conditions={**first_rule.conditions, "alertClasses": ALERT_CLASSES},
            actions={
                **first_rule.actions,
                "notifyUserIds": [str(env.admin)],
                "ticketTemplate": {"titleTemplate": "{{device}}", "descriptionTemplate": "d"},
            },
        )
    page.refresh()
    idle(qtbot, page)
    page.rules_list.setCurrentRow(0)
    page.storms_check.setChecked(False)
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    _name, conditions, actions, options = stored(env)[0]
    assert conditions["alertClasses"] == ALERT_CLASSES
    assert actions["notifyUserIds"] == [str(env.admin)]
    assert actions["ticketTemplate"] == {"titleTemplate": "{{device}}", "descriptionTemplate": "d"}
    assert options["group_storms"] is False and "storm_window_minutes" not in options

    # a drop in the list is a row move in its model; the new order goes to the PSA
    page.rules_list.model().moveRow(QModelIndex(), 1, QModelIndex(), 0)
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Order saved"), timeout=10000)
    assert [r[0] for r in stored(env)] == ["Ignore minor", "Critical disk alerts"]
    assert names(page)[0].startswith("Ignore minor")

    # 450 alerts in the last week; CRITICAL ones are every 5th, all mention "Disk"
    page.rules_list.setCurrentRow(1)
    assert page.name_edit.text() == "Critical disk alerts"
    page.test_button.click()
    qtbot.waitUntil(lambda: "last 7 days" in page.preview_label.text(), timeout=10000)
    critical = N_ALERTS // 5
    assert f"{critical} of {N_ALERTS} alerts match this rule" in page.preview_label.text()
    assert f"so {critical} would be turned into tickets" in page.preview_label.text()

    page.rules_list.setCurrentRow(0)
    page.test_button.click()
    qtbot.waitUntil(lambda: "suppressed" in page.preview_label.text(), timeout=10000)
    assert "Dry run" in page.preview_label.text()

    page.delete_button.click()
    qtbot.waitUntil(lambda: page.status_label.text().startswith("Deleted"), timeout=10000)
    assert [r[0] for r in stored(env)] == ["Critical disk alerts"]
    ctx.cache.close()


def test_duplicate_name_is_refused(
    qtbot,
    tmp_path,
    settings_psa,  # noqa: F811
):
    env = settings_psa
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS, psa=env.as_user(env.admin))
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    idle(qtbot, page)
    page.new_button.click()
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    page.new_button.click()
    page.save_button.click()
    assert "already called" in page.status_label.text()
    ctx.cache.close()


def test_read_only_for_a_technician(
    qtbot,
    tmp_path,
    settings_psa,  # noqa: F811
):
    env = settings_psa
    with env.db.tenant_session(env.tenant, env.admin) as s:
        from ninja_desk.psa.alert_rules import create_rule

        create_rule(
            s,
            env.integration,
            "Existing",
            priority_order=10,
            conditions={"severities": ["major"]},
            actions={"createTicket": True},
        )
    ctx = make_ctx(tmp_path, permissions=frozenset({VIEW_ALERTS}), psa=env.as_user(env.technician))
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    idle(qtbot, page)
    assert names(page) == ["Existing"]
    assert page.note.isVisibleTo(page)
    assert denial_sentence(CONFIGURE_ALERT_RULES) in page.note.text()
    assert "settings:update" in page.note.text()
    for widget in (
        page.name_edit,
        page.save_button,
        page.delete_button,
        page.new_button,
        page.severity_checks["major"],
        page.action_combo,
        page.board_combo,
        page.priority_combo,
    ):
        assert not widget.isEnabled()
    assert page.severity_checks["major"].isChecked()
    assert not page.rules_list.dragEnabled()
    assert page.test_button.isEnabled()  # looking is harmless
    page.test_button.click()
    qtbot.waitUntil(lambda: "last 7 days" in page.preview_label.text(), timeout=10000)
    ctx.cache.close()


def test_a_rule_alga_made_opens_and_saves_without_losing_keys(
    qtbot,
    tmp_path,
    settings_psa,  # noqa: F811
):
    """A row as Alga's UI writes it: Alga's keys only, no NinjaDesk options row."""
    import uuid

    from ninja_desk.psa.clock import utcnow
    from ninja_desk.psa.schema import rmm_alert_rules, statuses

    env = settings_psa
    boards_by_name, priorities_by_name = tenant_ids(env)
    board = boards_by_name["General Support"]
    with env.db.tenant_session(env.tenant, env.admin) as s:
        closed = s.conn.scalar(
            sa.select(statuses.c.status_id).where(
                statuses.c.tenant == env.tenant, statuses.c.is_closed.is_(True)
            )
        )
        conditions = {
            "severities": ["critical", "major"],
            "alertClasses": ALERT_CLASSES,
            "sourceTypes": ["CONDITION"],
            "organizationIds": ["2", "77"],  # 77: an org this cache does not hold
            "messagePattern": "disk|volume",
        }
        actions = {
            "createTicket": True,
            "boardId": board,
            "priorityOverride": priorities_by_name["P2 - High"],
            "assignToUserId": str(env.technician),
            "ticketTemplate": {"titleTemplate": "{{device}}", "descriptionTemplate": "{{message}}"},
            "autoResolveTicket": True,
            "autoResolveStatusId": str(closed),
            "resetAlertOnTicketClose": False,
            "notifyUserIds": [str(env.admin)],
        }
        now = utcnow()
        s.conn.execute(
            rmm_alert_rules.insert().values(
                tenant=env.tenant,
                rule_id=uuid.uuid4(),
                integration_id=env.integration,
                name="Made in Alga",
                is_active=True,
                priority_order=1,
                conditions=conditions,
                actions=actions,
                created_at=now,
                updated_at=now,
            )
        )
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS, psa=env.as_user(env.admin))
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    idle(qtbot, page)
    assert names(page) == ["Made in Alga"]
    # shown by the tenant's names
    assert page.board_combo.currentText() == "General Support"
    assert page.priority_combo.currentText() == "P2 - High"
    assert "tech" in page.assignee_combo.currentText()
    assert page.resolve_status_combo.currentText() == "Closed"
    assert not page.dry_run_check.isChecked()
    assert not page.storms_check.isChecked()  # Alga makes one ticket per alert
    assert not page.reset_on_close_check.isChecked()
    assert page.message_edit.text() == "disk|volume"
    assert page.orgs_list.checked() == ["2", "77"]

    page.name_edit.setText("Made in Alga, kept in NinjaDesk")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    [(name, stored_conditions, stored_actions, options)] = stored(env)
    assert name == "Made in Alga, kept in NinjaDesk"
    assert stored_conditions == conditions
    assert stored_actions == actions
    assert options == {"dry_run": False, "group_storms": False}
    ctx.cache.close()


def test_without_a_psa(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS)
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    assert "PSA database not configured" in page.note.text()
    assert not page.new_button.isEnabled()
    ctx.cache.close()
