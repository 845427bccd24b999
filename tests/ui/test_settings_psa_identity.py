"""Settings → PSA database: the Alga API key field.

The key goes to the keyring (never settings.json), stays editable on a read-only desktop (that
is how it stops being read-only), and the running desktop takes it at once: who it is and what
it may do come from the key's Alga user.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ninja_desk.paths import config_file
from ninja_desk.psa.identity import create_api_key
from ninja_desk.psa.permissions import (
    ADMINISTER_RIGHTS,
    CREATE_TICKETS,
    READ_ONLY_NO_KEY,
    VIEW_PERMISSIONS,
)
from ninja_desk.settings import Settings
from ninja_desk.sync.alga_api_key import KEYRING_KEY
from ninja_desk.sync.desktop_runtime import DesktopPsa
from ninja_desk.ui.settings.psa_card import PsaCard
from tests.ui.settings_psa_fixture import psa_template, settings_psa  # noqa: F401
from tests.ui.test_settings_integrations import FakeSecrets


def jobs_done() -> bool:
    """The card's worker threads have finished."""
    return not any(t.name == "psa-card-job" for t in threading.enumerate())


@pytest.fixture
def read_only_desktop(empty_ctx, settings_psa):  # noqa: F811
    """A desktop on the PSA without an identity: it may only look."""
    handle = DesktopPsa(
        settings_psa.db, settings_psa.tenant, None, settings_psa.integration, "tech"
    )
    empty_ctx.psa = handle
    empty_ctx.permissions = handle.permissions()
    empty_ctx.settings.psa_url = settings_psa.db.url
    empty_ctx.settings.psa_tenant = str(settings_psa.tenant)
    return empty_ctx


def test_the_key_goes_to_the_keyring_and_the_desktop_becomes_its_user(
    qtbot,
    read_only_desktop,
    settings_psa,  # noqa: F811
    tmp_path: Path,
) -> None:
    ctx = read_only_desktop
    assert ctx.permissions == VIEW_PERMISSIONS
    secrets = FakeSecrets()
    card = PsaCard(ctx, secrets=secrets)
    qtbot.addWidget(card)
    assert card.identity_label.text() == READ_ONLY_NO_KEY
    card.set_read_only("Only an admin can change the NinjaOne link.")
    assert not card.url_edit.isEnabled()
    assert card.key_edit.isEnabled()  # a read-only desktop can still enter its key

    key = create_api_key(settings_psa.db, settings_psa.tenant, settings_psa.technician)
    card.key_edit.setText(key)
    assert card.check_key_button.isEnabled()
    card.apply_to(ctx.settings)
    ctx.settings.save(ctx.data_dir)
    assert secrets.values == {KEYRING_KEY: key}
    assert card.key_edit.text() == ""
    assert key not in config_file(ctx.data_dir).read_text()
    qtbot.waitUntil(lambda: CREATE_TICKETS in ctx.permissions, timeout=5000)
    qtbot.waitUntil(jobs_done, timeout=5000)
    assert ctx.psa.user_id == settings_psa.technician
    assert card.identity_label.text().startswith("Signed in to Alga as tech")

    card.forget_key()  # the keyring call runs on a worker
    qtbot.waitUntil(lambda: secrets.values == {}, timeout=5000)
    # without a key the embedded (SQLite) PSA is its local administrator's again
    qtbot.waitUntil(lambda: ADMINISTER_RIGHTS in ctx.permissions, timeout=5000)
    assert ctx.psa.user_id == settings_psa.admin
    qtbot.waitUntil(jobs_done, timeout=5000)


def test_check_key_says_who_or_why_not(qtbot, read_only_desktop, settings_psa) -> None:  # noqa: F811
    card = PsaCard(read_only_desktop, secrets=FakeSecrets())
    qtbot.addWidget(card)
    card.key_edit.setText("ab" * 32)
    card.check_key()
    qtbot.waitUntil(
        lambda: "does not know this API key" in card.identity_label.text(), timeout=5000
    )
    key = create_api_key(settings_psa.db, settings_psa.tenant, settings_psa.technician)
    qtbot.waitUntil(jobs_done, timeout=5000)
    card.key_edit.setText(key)
    card.check_key()
    qtbot.waitUntil(lambda: "Rights in NinjaDesk" in card.identity_label.text(), timeout=5000)
    assert "tickets.create" in card.identity_label.text()
    qtbot.waitUntil(jobs_done, timeout=5000)
    assert isinstance(read_only_desktop.settings, Settings)
