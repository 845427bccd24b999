"""The same main window, signed in as a technician and as an admin: different actions enabled.

The rights come from the PSA database itself (the technician and admin roles of one tenant);
the window disables what the user may not do and says why.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ninja_desk.cache.store import LocalCache
from ninja_desk.psa.permissions import (
    ALL_PERMISSIONS,
    CONFIGURE_ALERT_RULES,
    actions_for_rights,
    denial_sentence,
)
from ninja_desk.psa.tenants import DEFAULT_ROLES
from ninja_desk.settings import Settings
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.ui.app import build_main_window
from ninja_desk.ui.context import AppContext
from tests.ui.settings_psa_fixture import psa_template, settings_psa  # noqa: F401


def window_as(qtbot, tmp_path: Path, env, user_id, name: str):  # type: ignore[no-untyped-def]
    data = tmp_path / name
    data.mkdir()
    psa = DesktopPsa(env.db, env.tenant, user_id, env.integration, name)
    settings = Settings(psa_url=env.db.url, psa_tenant=str(env.tenant), first_run_done=True)
    ctx = AppContext(data_dir=data, cache=LocalCache(data / "cache.sqlite3"), settings=settings)
    ctx.psa = psa
    ctx.permissions = psa.permissions()  # read from the PSA database, not configured here
    window = build_main_window(ctx)
    qtbot.addWidget(window)
    window.show_view("settings")
    return ctx, window.view("settings")


@pytest.mark.parametrize("role", ["technician", "admin"])
def test_configuration_actions_follow_the_users_rights(qtbot, tmp_path, settings_psa, role):  # noqa: F811
    env = settings_psa
    user = env.technician if role == "technician" else env.admin
    ctx, settings_view = window_as(qtbot, tmp_path, env, user, role)
    try:
        # DEFAULT_ROLES holds Alga rights; the window works with the actions they allow.
        technician = actions_for_rights(DEFAULT_ROLES["Technician"])
        expected = technician if role == "technician" else ALL_PERMISSIONS
        assert ctx.permissions == expected

        rules = settings_view.alert_rules
        mapping = settings_view.org_mapping
        # Both pages load from the PSA off the GUI thread; wait until they are idle.
        qtbot.waitUntil(lambda: not rules._busy and not mapping._busy, timeout=10000)
        may_configure = role == "admin"
        assert rules.new_button.isEnabled() is may_configure
        assert mapping.bulk_button.isEnabled() is may_configure
        if not may_configure:
            assert denial_sentence(CONFIGURE_ALERT_RULES) in rules.note.text()
    finally:
        ctx.cache.close()
