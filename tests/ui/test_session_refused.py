"""A NinjaOne session that NinjaOne refuses shows as "reconnect required", once, everywhere."""

from __future__ import annotations

import asyncio
import logging

import pytest

from ninja_desk.ninjaone.connection import ConnectionState
from ninja_desk.ninjaone.errors import NinjaOneReconnectRequired
from ninja_desk.settings import Settings
from ninja_desk.simulator import SimulatorConfig, run_simulator_in_thread
from ninja_desk.ui.app import build_context, build_main_window


def test_refused_credentials_turn_the_badge_and_status_bar_to_reconnect(
    qtbot, tmp_path, monkeypatch, caplog
) -> None:
    with run_simulator_in_thread(SimulatorConfig(orgs=1, devices=3, seed=2)) as sim:
        monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "not-the-secret")
        Settings(custom_base_url=sim.base_url, client_id="demo-client").save(tmp_path)
        ctx = build_context(tmp_path)
        window = build_main_window(ctx)
        qtbot.addWidget(window)
        assert ctx.sync is not None and ctx.ninjaone is not None

        with caplog.at_level(logging.WARNING), pytest.raises(NinjaOneReconnectRequired):
            asyncio.run(ctx.sync.sync("full"))
        # A second attempt fails at once, without asking NinjaOne again.
        with pytest.raises(NinjaOneReconnectRequired):
            asyncio.run(ctx.sync.sync("full"))

        assert ctx.ninjaone.status.state is ConnectionState.RECONNECT_REQUIRED
        assert "reconnect required" in window.connection_label.text().lower()
        warnings = [r for r in caplog.records if "needs reconnecting" in r.getMessage()]
        assert len(warnings) == 1
        ctx.cache.close()
