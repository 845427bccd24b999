"""`ninja-desk-relay` admin commands (in process) and `serve` (as a real subprocess)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from ninja_desk.relay.cli import main
from ninja_desk.relay.settings import env_table, load_settings
from ninja_desk.relay.store import open_store
from tests.relay.conftest import activity
from tests.relay.relay_process import RelayProcess


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any]:
    code = main(list(argv))
    out = capsys.readouterr().out
    try:
        return code, json.loads(out)
    except ValueError:
        return code, out


def test_endpoint_and_subscriber_json(capsys: pytest.CaptureFixture[str], sqlite_url: str):
    assert run(capsys, "init", "--db", sqlite_url)[0] == 0
    code, endpoint = run(capsys, "endpoint", "add", "acme", "--db", sqlite_url, "--json")
    assert code == 0 and set(endpoint) == {"name", "path", "secret"}
    assert endpoint["name"] == "acme" and endpoint["path"] == "/hooks/acme"
    code, subscriber = run(capsys, "subscriber", "add", "desk1", "--db", sqlite_url, "--json")
    assert code == 0 and set(subscriber) == {"name", "token", "endpoints"}
    assert subscriber["endpoints"] == ["acme"]
    store = open_store(sqlite_url)
    assert store.list_endpoints() == ["acme"]
    assert [name for name, _ in store.active_subscribers()] == ["desk1"]
    assert subscriber["token"] not in repr(store.active_subscribers())


def test_db_from_environment(
    capsys: pytest.CaptureFixture[str], sqlite_url: str, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("NINJA_DESK_RELAY_DB", sqlite_url)
    code, out = run(capsys, "endpoint", "add", "acme")
    assert code == 0 and "/hooks/acme" in out and "secret:" in out
    monkeypatch.delenv("NINJA_DESK_RELAY_DB")
    assert main(["endpoint", "list"]) == 2
    assert "NINJA_DESK_RELAY_DB" in capsys.readouterr().err


def test_rotate_revoke_and_errors(capsys: pytest.CaptureFixture[str], sqlite_url: str):
    db = ("--db", sqlite_url)
    _, first = run(capsys, "endpoint", "add", "acme", *db, "--json")
    code, rotated = run(capsys, "endpoint", "rotate", "acme", "--grace", "30", *db, "--json")
    assert code == 0 and rotated["secret"] != first["secret"]
    assert main(["endpoint", "add", "acme", *db]) == 1
    assert "endpoint rotate acme" in capsys.readouterr().err
    assert main(["endpoint", "rotate", "ghost", *db]) == 1
    assert main(["endpoint", "add", "bad name!", *db]) == 1
    capsys.readouterr()
    run(capsys, "subscriber", "add", "desk1", *db)
    assert run(capsys, "subscriber", "revoke", "desk1", *db)[0] == 0
    assert main(["subscriber", "revoke", "desk1", *db]) == 1
    assert open_store(sqlite_url).active_subscribers() == []
    code, added = run(capsys, "forward", "add", "https://siem.example/in", *db, "--json")
    assert code == 0 and added == {"url": "https://siem.example/in", "added": True}
    assert main(["forward", "add", "ftp://x", *db]) == 1
    assert run(capsys, "forward", "list", *db, "--json")[1] == {
        "targets": ["https://siem.example/in"]
    }


def test_bad_database_url_is_a_sentence(capsys: pytest.CaptureFixture[str]):
    assert main(["init", "--db", "mysql://x"]) == 1
    assert "use sqlite or postgresql" in capsys.readouterr().err


async def test_serve_subprocess_end_to_end(tmp_path: Any, capsys: pytest.CaptureFixture[str]):
    db = f"sqlite:///{tmp_path}/relay.db"
    _, endpoint = run(capsys, "endpoint", "add", "acme", "--db", db, "--json")
    _, subscriber = run(capsys, "subscriber", "add", "desk1", "--db", db, "--json")
    with RelayProcess(db, extra=["--heartbeat", "0.5"]) as relay:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await client.post(
                relay.url + endpoint["path"],
                json=activity(1),
                headers={"X-NinjaDesk-Secret": endpoint["secret"]},
            )
            assert response.status_code == 200
            batch = await client.get(
                f"{relay.url}/events",
                params={"since": 0, "wait": 0},
                headers={"Authorization": f"Bearer {subscriber['token']}"},
            )
            assert [e["payload"]["id"] for e in batch.json()["events"]] == [1]
            assert (await client.get(f"{relay.url}/healthz")).status_code == 200
        log = relay.stop()
    # Secrets never reach the log.
    assert endpoint["secret"] not in log and subscriber["token"] not in log


def test_relay_imports_no_qt_and_no_app_packages():
    """The relay must run on a headless server without the desktop app's packages."""
    import subprocess
    import sys

    code = (
        "import sys, ninja_desk.relay.cli, ninja_desk.relay.store;"
        "bad = sorted(m for m in sys.modules if m.startswith(('PySide6', 'qasync',"
        " 'ninja_desk.ui', 'ninja_desk.sync', 'ninja_desk.cache', 'ninja_desk.psa')));"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""


async def test_serve_forward_flag(tmp_path: Any, capsys: pytest.CaptureFixture[str]):
    import asyncio

    from tests.relay.test_forwarder import Target

    db = f"sqlite:///{tmp_path}/relay.db"
    _, endpoint = run(capsys, "endpoint", "add", "acme", "--db", db, "--json")
    target = Target()
    url, runner = await target.start()
    try:
        with RelayProcess(db, extra=["--forward", url]) as relay:
            async with httpx.AsyncClient(timeout=10) as client:
                response = await client.post(
                    relay.url + endpoint["path"],
                    json=activity(7),
                    headers={"X-NinjaDesk-Secret": endpoint["secret"]},
                )
                assert response.status_code == 200
            for _ in range(100):
                if target.accepted:
                    break
                await asyncio.sleep(0.05)
    finally:
        await runner.cleanup()
    assert [e["payload"]["id"] for e in target.accepted] == [7]
    assert run(capsys, "forward", "list", "--db", db, "--json")[1] == {"targets": [url]}


@pytest.mark.parametrize(
    ("env", "argv", "named"),
    [
        ({"NINJA_DESK_RELAY_PORT": "eighty"}, [], "NINJA_DESK_RELAY_PORT"),
        ({"NINJA_DESK_RELAY_HEARTBEAT": "0"}, [], "NINJA_DESK_RELAY_HEARTBEAT"),
        ({"NINJA_DESK_RELAY_LOG_LEVEL": "loud"}, [], "NINJA_DESK_RELAY_LOG_LEVEL"),
        ({}, ["--max-streams-per-token", "-1"], "--max-streams-per-token"),
        ({"NINJA_DESK_RELAY_PORT": "9000"}, ["--port", "99999"], "--port"),
    ],
)
def test_a_bad_setting_is_one_sentence_and_exit_2(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    sqlite_url: str,
    env: dict[str, str],
    argv: list[str],
    named: str,
):
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert main(["serve", "--db", sqlite_url, *argv]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"ninja-desk-relay: {named} is ") and len(err.splitlines()) == 1
    assert "Traceback" not in err


def test_settings_come_from_the_environment_and_flags_win(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NINJA_DESK_RELAY_PORT", "9100")
    monkeypatch.setenv("NINJA_DESK_RELAY_HEARTBEAT", "5")
    monkeypatch.setenv("NINJA_DESK_RELAY_FORWARDING", "false")
    settings = load_settings({"heartbeat": "2.5"})
    assert (settings.port, settings.heartbeat, settings.forwarding) == (9100, 2.5, False)
    assert {row[0] for row in env_table()} >= {"NINJA_DESK_RELAY_DB", "NINJA_DESK_RELAY_PORT"}
