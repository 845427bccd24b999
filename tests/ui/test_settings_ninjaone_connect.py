"""Settings → NinjaOne: the URL is checked as it is typed; the sign-in can be cancelled and its
link copied (issue 13; docs/connecting.md promises Cancel)."""

from __future__ import annotations

import asyncio

import pytest
from PySide6.QtGui import QGuiApplication

from ninja_desk.ui.settings.ninjaone_card import CUSTOM, url_problem
from ninja_desk.ui.settings.ninjaone_link import NinjaOneLink
from tests.ui.test_settings_integrations import FakeSecrets, make_view


@pytest.fixture
def ctx(tmp_path):
    from ninja_desk.psa.permissions import ALL_PERMISSIONS
    from tests.ui.alerts_tickets_sample_data import make_ctx

    ctx = make_ctx(tmp_path, permissions=ALL_PERMISSIONS, filled=False)
    secrets = FakeSecrets()
    ctx.ninjaone = NinjaOneLink(ctx, opener=None, secrets_for=lambda _b, _c: secrets)
    yield ctx
    ctx.cache.close()


@pytest.mark.parametrize(
    "text", ["hello world", "http://hello world", "ftp://x.example", "https://", "http://a..b"]
)
def test_url_problem_names_what_is_wrong(text) -> None:
    assert url_problem(text)


def test_url_problem_accepts_real_addresses() -> None:
    for text in ("http://127.0.0.1:8765", "https://ninja.example.com", "https://eu.ninjarmm.com/"):
        assert url_problem(text) is None


def test_bad_url_is_explained_at_once_and_correcting_it_enables_connect(qtbot, ctx) -> None:
    view = make_view(qtbot, ctx)
    card = view.integrations.ninjaone
    card.region_combo.setCurrentIndex(card.region_combo.findData(CUSTOM))
    card.client_id_edit.setText("cid")
    card.custom_url_edit.setText("hello world")
    assert not card.connect_button.isEnabled()
    assert "not a web address" in card.reason_label.text()
    card.connect_button.click()  # disabled: nothing happens, and the reason stays
    assert "not a web address" in card.reason_label.text()
    card.custom_url_edit.setText("http://127.0.0.1:9")  # no Save in between
    assert card.connect_button.isEnabled()
    assert "not a web address" not in card.reason_label.text()
    assert card.connect_button.toolTip() == ""


async def test_sign_in_offers_copy_link_and_cancel(qtbot, ctx) -> None:
    view = make_view(qtbot, ctx)
    view.show()
    card = view.integrations.ninjaone
    card.region_combo.setCurrentIndex(card.region_combo.findData(CUSTOM))
    card.custom_url_edit.setText("http://127.0.0.1:9")
    card.client_id_edit.setText("cid")
    assert not card.cancel_button.isVisibleTo(card)
    card.connect_button.click()
    for _ in range(200):
        if card.copy_link_button.isVisibleTo(card):
            break
        await asyncio.sleep(0.01)
    assert card.cancel_button.isVisibleTo(card)
    assert card.copy_link_button.isVisibleTo(card)
    card.copy_link_button.click()
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith("http://127.0.0.1:9/ws/oauth/authorize?")
    assert "redirect_uri=http" in copied
    card.cancel_button.click()
    for _ in range(200):
        if "cancelled" in card.reason_label.text():
            break
        await asyncio.sleep(0.01)
    assert "cancelled" in card.reason_label.text()
    assert not card.cancel_button.isVisibleTo(card)
    assert not card.copy_link_button.isVisibleTo(card)
    assert card.connect_button.isEnabled()


async def test_a_browser_that_fails_to_open_is_reported(qtbot, ctx) -> None:
    from ninja_desk.ui.opener import OpenResult

    async def failing(url: str) -> OpenResult:
        return OpenResult(False, "gio: Operation not supported")

    secrets = FakeSecrets()
    ctx.ninjaone = NinjaOneLink(ctx, secrets_for=lambda _b, _c: secrets)
    ctx.open_url = failing
    view = make_view(qtbot, ctx)
    card = view.integrations.ninjaone
    card.region_combo.setCurrentIndex(card.region_combo.findData(CUSTOM))
    card.custom_url_edit.setText("http://127.0.0.1:9")
    card.client_id_edit.setText("cid")
    card.connect_button.click()
    for _ in range(200):
        if "could not be opened" in card.reason_label.text():
            break
        await asyncio.sleep(0.01)
    assert "gio: Operation not supported" in card.reason_label.text()
    assert "Copy the sign-in link" in card.reason_label.text()
    card.cancel_button.click()
    for _ in range(200):
        if "cancelled" in card.reason_label.text():
            break
        await asyncio.sleep(0.01)
