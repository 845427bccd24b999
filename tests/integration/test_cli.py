"""The headless CLI end to end: sync from the simulator, then list what scripts rely on."""

from __future__ import annotations

import io
import json
import re
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


def test_status_reads_as_dates_and_words(
    sim, cli_env: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    connection = ["--ninjaone-url", sim.base_url, "--client-id", "demo-client"]
    assert main([*cli_env, "sync", *connection]) == 0
    capsys.readouterr()
    assert main([*cli_env, "status"]) == 0
    out = capsys.readouterr().out
    assert "None" not in out
    assert not re.search(r"\b1\d{9}(\.\d+)?\b", out), out  # no epoch seconds
    lines = {k.strip(): v.strip() for k, v in (line.split(":", 1) for line in out.splitlines())}
    assert lines["relay"] == "not set" and lines["webhook registered"] == "no"
    when = r"\d{4}-\d\d-\d\d \d\d:\d\d \((just now|\d+ s ago)\)"
    pattern = rf"full, ok, {when}, took [\d.]+ s, 60 devices"
    assert re.fullmatch(pattern, lines["last sync"]), lines["last sync"]


def test_empty_default_profile_points_at_the_demo_profile(
    sim, cli_env: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What `make demo` leaves behind: a synced demo profile beside an empty default one.
    demo = ["--data-dir", str(tmp_path), "--profile", "demo"]
    connection = ["--ninjaone-url", sim.base_url, "--client-id", "demo-client"]
    assert main([*demo, "sync", *connection]) == 0
    assert (tmp_path / "demo" / "cache.sqlite3").exists()
    capsys.readouterr()

    for command in ("status", "devices"):
        assert main([*cli_env, command]) == 0
        assert f"ninja-desk --profile demo {command}" in capsys.readouterr().err
    assert main([*cli_env, "devices", "--json"]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out) == [] and "--profile demo" in captured.err

    assert main([*demo, "devices", "--json"]) == 0
    captured = capsys.readouterr()
    assert len(json.loads(captured.out)) == 60 and captured.err == ""
    assert main(["--data-dir", str(tmp_path), "devices", "--profile", "demo", "--json"]) == 0
    assert len(json.loads(capsys.readouterr().out)) == 60


def test_every_option_and_command_has_help() -> None:
    from ninja_desk.cli.main import build_parser
    from tests.simulator.test_cli import _undocumented

    assert _undocumented(build_parser()) == []


def _sign_in_native(base_url: str) -> str:
    """A browser sign-in of the simulator's native app; returns its refresh token."""
    import asyncio

    import httpx

    from ninja_desk.ninjaone.oauth_loopback import LoopbackLogin, LoopbackSettings

    async def run() -> str:
        async def visit(url: str) -> None:
            async with httpx.AsyncClient(follow_redirects=True) as http:
                await http.get(url + "&decision=allow")

        tasks: list[asyncio.Task[None]] = []
        login = LoopbackLogin(
            LoopbackSettings(base_url, "desk-native"),
            opener=lambda u: tasks.append(asyncio.create_task(visit(u))) or True,
        )
        tokens = await login.run()
        assert tokens.refresh_token
        return tokens.refresh_token

    return asyncio.run(run())


def test_sync_uses_a_sign_in_saved_in_an_encrypted_file(
    sim,
    cli_env: list[str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from ninja_desk.ninjaone.credentials import (
        REFRESH_TOKEN,
        EncryptedFileSecrets,
        service_name,
    )

    # What `ninja-desk login --encrypted-file` leaves on a machine without a keyring.
    path = tmp_path / "signin.enc"
    secrets = EncryptedFileSecrets(path, "correct horse", service_name(sim.base_url, "desk-native"))
    secrets.set(REFRESH_TOKEN, _sign_in_native(sim.base_url))
    monkeypatch.delenv("NINJA_DESK_CLIENT_SECRET")
    sync = [*cli_env, "sync", "--json", "--ninjaone-url", sim.base_url, "--client-id",
            "desk-native", "--encrypted-file", str(path)]  # fmt: skip

    # No passphrase and nobody at a terminal: one sentence naming the variable to set.
    monkeypatch.delenv("NINJA_DESK_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(""))
    assert main(sync) == 2
    assert "NINJA_DESK_PASSPHRASE" in capsys.readouterr().err
    monkeypatch.setenv("NINJA_DESK_PASSPHRASE", "wrong")
    assert main(sync) == 2
    assert "passphrase does not open" in capsys.readouterr().err

    monkeypatch.setenv("NINJA_DESK_PASSPHRASE", "correct horse")
    assert json.loads(run_out(capsys, sync))["devices"] == 60
    # The rotated refresh token went back into the file, so the next run signs in again.
    assert secrets.get(REFRESH_TOKEN)
    monkeypatch.delenv("NINJA_DESK_PASSPHRASE")
    monkeypatch.setenv("NINJA_DESK_ENCRYPTED_FILE", str(path))
    monkeypatch.setenv("NINJA_DESK_TOKEN_PASSPHRASE", "correct horse")
    sync.remove("--encrypted-file")
    sync.remove(str(path))
    sync.insert(sync.index("sync") + 1, "--incremental")
    assert json.loads(run_out(capsys, sync))["kind"] == "incremental"


def run_out(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    code = main(argv)
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return captured.out
