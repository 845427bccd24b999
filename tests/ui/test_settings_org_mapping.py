from __future__ import annotations

from PySide6.QtCore import Qt

from ninja_desk.psa.clients import create_client
from ninja_desk.psa.permissions import ALL_PERMISSIONS, CONFIGURE_ORG_MAPPING, denial_sentence
from ninja_desk.ui.settings.org_mapping_page import NOT_MAPPED, OrgMappingPage
from tests.ui.alerts_tickets_sample_data import make_ctx
from tests.ui.settings_psa_fixture import psa_template, settings_psa  # noqa: F401


def shown(page: OrgMappingPage) -> dict[str, tuple[str, str, str]]:
    m = page.model
    return {
        m.index(r, 0).data(): (m.index(r, 2).data(), m.index(r, 3).data(), m.index(r, 5).data())
        for r in range(m.rowCount())
    }


def wait_idle(qtbot, page: OrgMappingPage) -> None:
    qtbot.waitUntil(lambda: not page._busy, timeout=10000)


def test_map_create_bulk_and_auto_sync_against_a_real_psa(
    qtbot,
    qtmodeltester,
    tmp_path,
    settings_psa,  # noqa: F811
):
    env = settings_psa
    with env.db.tenant_session(env.tenant, env.admin) as s:
        create_client(s, "Acme Dental Ltd")
        zeta = create_client(s, "Zeta Corp")
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS, psa=env.as_user(env.admin))
    page = OrgMappingPage(ctx)
    qtbot.addWidget(page)
    wait_idle(qtbot, page)
    assert not page.note.isVisibleTo(page)
    assert shown(page) == {
        "Acme Dental": (NOT_MAPPED, "Acme Dental Ltd", "Unmapped"),
        "Birch & Co Accountants": (NOT_MAPPED, "", "Unmapped"),
        "Cobalt Logistics": (NOT_MAPPED, "", "Unmapped"),
    }
    assert page.model.index(0, 1).data() == "4"  # devices per org, from the cache
    assert "0 of 3 organizations mapped; 1 can be mapped by suggested name" in (
        page.status_label.text()
    )
    qtmodeltester.check(page.model, force_py=True)

    page.bulk_button.click()
    qtbot.waitUntil(lambda: "Mapped 1 organizations" in page.status_label.text(), timeout=10000)
    assert shown(page)["Acme Dental"] == ("Acme Dental Ltd", "", "Mapped")

    assert page.select_org(3)
    page.create_button.click()
    qtbot.waitUntil(lambda: "Created client" in page.status_label.text(), timeout=10000)
    assert shown(page)["Cobalt Logistics"] == ("Cobalt Logistics", "", "Mapped")

    assert page.select_org(2)
    page.client_combo.setCurrentIndex(page.client_combo.findData(str(zeta)))
    page.map_button.click()
    qtbot.waitUntil(lambda: "→ Zeta Corp" in page.status_label.text(), timeout=10000)
    assert shown(page)["Birch & Co Accountants"] == ("Zeta Corp", "", "Mapped")

    row = next(r for r, s in enumerate(page.model.states) if s.organization.id == 2)
    index = page.model.index(row, 4)
    assert index.data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert page.model.setData(index, Qt.CheckState.Unchecked.value, Qt.ItemDataRole.CheckStateRole)
    qtbot.waitUntil(
        lambda: "Automatic asset sync is off" in page.status_label.text(), timeout=10000
    )
    row = next(r for r, s in enumerate(page.model.states) if s.organization.id == 2)
    assert page.model.index(row, 4).data(Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Unchecked
    qtmodeltester.check(page.model, force_py=True)
    ctx.cache.close()


def test_read_only_for_a_technician(
    qtbot,
    tmp_path,
    settings_psa,  # noqa: F811
):
    env = settings_psa
    ctx = make_ctx(
        tmp_path, permissions=frozenset({"devices.view"}), psa=env.as_user(env.technician)
    )
    page = OrgMappingPage(ctx)
    qtbot.addWidget(page)
    wait_idle(qtbot, page)
    assert page.note.isVisibleTo(page)
    assert denial_sentence(CONFIGURE_ORG_MAPPING) in page.note.text()  # names Alga's right
    assert "settings:update" in page.note.text()
    assert page.model.rowCount() == 3  # still visible
    page.select_org(1)
    for button in (page.map_button, page.create_button, page.bulk_button):
        assert not button.isEnabled()
    assert not page.model.flags(page.model.index(0, 4)) & Qt.ItemFlag.ItemIsUserCheckable
    ctx.cache.close()


def test_without_a_psa_the_orgs_are_listed_and_the_reason_shown(qtbot, tmp_path):
    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS)
    page = OrgMappingPage(ctx)
    qtbot.addWidget(page)
    assert "PSA database not configured" in page.note.text()
    assert page.model.rowCount() == 3
    assert not page.bulk_button.isEnabled()
    assert "3 NinjaOne organizations" in page.status_label.text()
    ctx.cache.close()
