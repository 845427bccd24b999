from __future__ import annotations

from PySide6.QtCore import QModelIndex

from ninja_desk.psa.alert_rules import list_rules
from ninja_desk.psa.permissions import ALL_PERMISSIONS, VIEW_ALERTS
from ninja_desk.ui.settings.alert_rules_page import AlertRulesPage
from ninja_desk.ui.settings.rule_preview import clean_conditions, matches, preview
from tests.ui.alerts_tickets_sample_data import N_ALERTS, make_ctx
from tests.ui.settings_psa_fixture import psa_template, settings_psa  # noqa: F401


def idle(qtbot, page: AlertRulesPage) -> None:
    qtbot.waitUntil(lambda: not page._busy, timeout=10000)


def stored(env) -> list[tuple[str, dict, dict, bool]]:
    with env.db.tenant_session(env.tenant, env.admin) as s:
        return [(r.name, r.conditions, r.action, r.dry_run) for r in list_rules(s, env.integration)]


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
    assert matches({"severities": ["MAJOR", "CRITICAL"]}, alert)
    assert not matches({"severities": ["CRITICAL"]}, alert)
    assert not matches({"activity_types": ["ANTIVIRUS"]}, alert)
    assert matches({"status_codes": ["disk"]}, alert)
    assert not matches({"organization_ids": [1]}, alert)
    assert matches({"client_ids": ["c-2"]}, alert, {2: "c-2"})
    assert not matches({"client_ids": ["c-2"]}, alert)  # no mapping: cannot match a client
    assert not matches({"node_classes": ["MAC"]}, alert)
    assert matches({"message_contains": "disk c"}, alert)
    assert not matches({"message_contains": "cpu"}, alert)
    assert clean_conditions(
        {"severities": [], "message_contains": "  ", "node_classes": ["X"]}
    ) == {"node_classes": ["X"]}


def test_preview_first_match_wins_and_skips_disabled_rules():
    alerts = [
        {"uid": str(i), "severity": s, "message": "m"}
        for i, s in enumerate(["CRITICAL", "CRITICAL", "MINOR", "NONE"])
    ]
    rules = [
        ("off", {"conditions": {}, "is_enabled": False}),
        ("crit", {"conditions": {"severities": ["CRITICAL"]}}),
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

    page.new_button.click()
    assert page.dry_run_check.isChecked()  # a new rule starts as a dry run
    assert page.severity_checks["CRITICAL"].isChecked()
    page.name_edit.setText("Critical disk alerts")
    page.message_edit.setText("disk")
    page.dry_run_check.setChecked(False)
    page.priority_combo.setCurrentIndex(page.priority_combo.findData("urgent"))
    page.board_edit.setText("Service desk")
    page.title_edit.setText("{severity}: {message}")
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    assert stored(env) == [
        (
            "Critical disk alerts",
            {"severities": ["CRITICAL"], "message_contains": "disk"},
            {
                "type": "create_ticket",
                "priority": "urgent",
                "board": "Service desk",
                "title_template": "{severity}: {message}",
                "auto_resolve": True,
                "reset_on_close": False,
                "group_storms": True,
                "storm_window_minutes": 15,
            },
            False,
        )
    ]

    page.new_button.click()
    page.name_edit.setText("Ignore minor")
    page.severity_checks["CRITICAL"].setChecked(False)
    page.severity_checks["MINOR"].setChecked(True)
    page.orgs_list.set_checked([1, 2])
    page.classes_list.set_checked(["WINDOWS_WORKSTATION"])
    page.action_combo.setCurrentIndex(page.action_combo.findData("suppress"))
    assert not page.board_edit.isEnabled()
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    assert names(page) == ["Critical disk alerts", "Ignore minor  (dry run, suppress)"]
    assert stored(env)[1][1] == {
        "severities": ["MINOR"],
        "organization_ids": [1, 2],
        "node_classes": ["WINDOWS_WORKSTATION"],
    }

    # keys the editor does not show survive an edit; storm grouping off drops the window
    with env.db.tenant_session(env.tenant, env.admin) as s:
        from ninja_desk.psa.alert_rules import update_rule

        rule_id = list_rules(s, env.integration)[0].rule_id
        action = {**list_rules(s, env.integration)[0].action, "priority_map": {"MAJOR": "high"}}
        update_rule(s, rule_id, action=action)
    page.refresh()
    idle(qtbot, page)
    page.rules_list.setCurrentRow(0)
    page.storms_check.setChecked(False)
    page.save_button.click()
    qtbot.waitUntil(lambda: page.status_label.text() == "Rule saved.", timeout=10000)
    first = stored(env)[0][2]
    assert first["priority_map"] == {"MAJOR": "high"}
    assert first["group_storms"] is False and "storm_window_minutes" not in first

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
            conditions={"severities": ["MAJOR"]},
            action={"type": "create_ticket"},
        )
    ctx = make_ctx(tmp_path, permissions=frozenset({VIEW_ALERTS}), psa=env.as_user(env.technician))
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    idle(qtbot, page)
    assert names(page) == ["Existing"]
    assert page.note.isVisibleTo(page)
    assert "Only an admin can change alert rules" in page.note.text()
    for widget in (
        page.name_edit,
        page.save_button,
        page.delete_button,
        page.new_button,
        page.severity_checks["MAJOR"],
        page.action_combo,
    ):
        assert not widget.isEnabled()
    assert page.severity_checks["MAJOR"].isChecked()
    assert not page.rules_list.dragEnabled()
    assert page.test_button.isEnabled()  # looking is harmless
    page.test_button.click()
    qtbot.waitUntil(lambda: "last 7 days" in page.preview_label.text(), timeout=10000)
    ctx.cache.close()


def test_without_a_psa(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS)
    page = AlertRulesPage(ctx)
    qtbot.addWidget(page)
    assert "PSA database not configured" in page.note.text()
    assert not page.new_button.isEnabled()
    ctx.cache.close()
