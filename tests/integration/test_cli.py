"""The headless CLI end to end: sync from the simulator, then list what scripts rely on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ninja_desk.cli.main import main


@pytest.fixture
def cli_env(sim, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[str]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "demo-secret")
    monkeypatch.delenv("NINJA_DESK_DATA_DIR", raising=False)
    return ["--data-dir", str(tmp_path)]


def run_json(capsys: pytest.CaptureFixture[str], argv: list[str]) -> object:
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_sync_then_devices_json_has_the_documented_fields(
    sim, ctl, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    connection = ["--ninjaone-url", sim.base_url, "--client-id", "demo-client"]
    result = run_json(capsys, [*cli_env, "sync", "--json", *connection])
    assert result["kind"] == "full" and result["devices"] == 60

    gone = run_json(capsys, [*cli_env, "devices", "--json"])[0]["id"]
    ctl.delete_device(gone)
    result = run_json(capsys, [*cli_env, "sync", "--incremental", "--json", *connection])
    assert result["kind"] == "incremental" and result["tombstoned"] == 1

    devices = run_json(capsys, [*cli_env, "devices", "--json"])
    assert len(devices) == 60
    required = {"id", "organizationId", "systemName", "displayName", "nodeClass", "offline",
                "lastContact", "deleted"}  # fmt: skip
    assert all(required <= set(d) for d in devices)
    by_id = {d["id"]: d for d in devices}
    assert by_id[gone]["deleted"] is True
    assert sum(d["deleted"] for d in devices) == 1
    assert all(isinstance(d["lastContact"], float) for d in devices if d["lastContact"])
    assert all(isinstance(d["offline"], bool) for d in devices)

    offline = run_json(capsys, [*cli_env, "devices", "--json", "--filter", "offline"])
    assert {d["id"] for d in offline} == {d["id"] for d in devices if d["offline"]}

    assert main([*cli_env, "status", "--json"]) == 0
    raw = capsys.readouterr().out
    status = json.loads(raw)
    assert status["devices"] == 59 and status["deleted_devices"] == 1
    assert status["last_sync"]["kind"] == "incremental"
    # Nothing was saved by `sync --client-id`: status says so, and never prints a secret.
    assert status["credentials"].startswith("none")
    assert "demo-secret" not in raw


def test_sync_without_credentials_says_what_to_do(
    cli_env: list[str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("NINJA_DESK_CLIENT_SECRET")
    code = main([*cli_env, "sync", "--region", "eu"])
    assert code == 2
    assert "client id" in capsys.readouterr().err


def test_unknown_region_is_a_sentence_not_a_traceback(
    cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main([*cli_env, "sync", "--region", "mars", "--client-id", "x"]) == 2
    assert "Unknown NinjaOne region 'mars'" in capsys.readouterr().err
