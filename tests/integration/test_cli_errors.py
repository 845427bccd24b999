"""`ninja-desk` in a real process: failures are one sentence and an exit code, never a traceback.

Each command runs against an unreachable NinjaOne / PSA database, a URL that is not one, and a
closed pipe (`ninja-desk devices | head`).
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cli.main import main


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # nothing listens once the socket is closed


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("NINJA_DESK_")}
    # No keyring is ever touched: a process that needs one says so in a sentence.
    clean["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    clean["NINJA_DESK_DATA_DIR"] = str(tmp_path / "data")
    clean["NINJA_DESK_CLIENT_SECRET"] = "demo-secret"
    clean["NINJA_DESK_WEBHOOK_SECRET"] = "relay-secret"
    return clean


def run(env: dict[str, str], *argv: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ninja_desk.cli.main", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def assert_one_sentence(proc: subprocess.CompletedProcess, *, contains: str = "") -> None:
    assert proc.returncode != 0, proc.stdout
    assert "Traceback" not in proc.stderr, proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("ninja-desk:")]
    assert len(errors) == 1, proc.stderr
    assert errors[0].rstrip().endswith("."), errors[0]  # a sentence, with its hint
    assert contains in errors[0], errors[0]


UNREACHABLE = "http://127.0.0.1:{port}"
CONNECTION = ("--client-id", "demo-client")


@pytest.mark.parametrize(
    "argv",
    [
        ("sync", "--ninjaone-url", UNREACHABLE, *CONNECTION),
        ("sync", "--incremental", "--json", "--ninjaone-url", UNREACHABLE, *CONNECTION),
        ("login", "--client-credentials", "--ninjaone-url", UNREACHABLE, *CONNECTION),
        (
            "webhook",
            "register",
            "--relay-url",
            "https://relay.example",
            "--ninjaone-url",
            UNREACHABLE,
            *CONNECTION,
        ),
        ("webhook", "remove", "--ninjaone-url", UNREACHABLE, *CONNECTION),
    ],
)
def test_unreachable_ninjaone_is_one_sentence(env: dict[str, str], argv: tuple[str, ...]) -> None:
    port = str(_closed_port())
    proc = run(env, *(a.replace("{port}", port) for a in argv))
    assert_one_sentence(proc, contains="reach")


def test_unreachable_psa_database_is_one_sentence(env: dict[str, str]) -> None:
    url = f"postgresql://ninja:hunter2@127.0.0.1:{_closed_port()}/psa"
    proc = run(env, "psa", "migrate", "--psa-url", url)
    assert proc.returncode != 0 and "Traceback" not in proc.stderr, proc.stderr
    assert "hunter2" not in proc.stderr


@pytest.mark.parametrize(
    ("argv", "contains"),
    [
        (("sync", "--ninjaone-url", "hello world", *CONNECTION), "hello world"),
        (("sync", "--region", "mars", *CONNECTION), "mars"),
        (("login", "--ninjaone-url", "hello world", *CONNECTION), "hello world"),
        (
            (
                "webhook",
                "register",
                "--relay-url",
                "hello world",
                "--ninjaone-url",
                "https://127.0.0.1:9",
                *CONNECTION,
            ),
            "relay",
        ),
        (("psa", "migrate", "--psa-url", "hello world"), "not a database URL"),
        (("devices", "--filter", "colour=red"), "colour"),
        (("--profile", "../elsewhere", "status"), "profile"),
    ],
)
def test_bad_urls_and_values_are_one_sentence(
    env: dict[str, str], argv: tuple[str, ...], contains: str
) -> None:
    assert_one_sentence(run(env, *argv), contains=contains)


def test_debug_shows_the_traceback(env: dict[str, str]) -> None:
    port = str(_closed_port())
    proc = run(env, "--debug", "sync", "--ninjaone-url", f"http://127.0.0.1:{port}", *CONNECTION)
    assert proc.returncode != 0
    assert "Traceback" in proc.stderr and "ninja-desk: " in proc.stderr


@pytest.fixture
def synced(sim, env: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NINJA_DESK_CLIENT_SECRET", "demo-secret")
    data = env["NINJA_DESK_DATA_DIR"]
    monkeypatch.setenv("NINJA_DESK_DATA_DIR", data)
    argv = ["--data-dir", data, "sync", "--ninjaone-url", sim.base_url, *CONNECTION]
    assert main(argv) == 0
    yield env


@pytest.mark.parametrize(
    "argv",
    [("devices",), ("devices", "--json"), ("status",), ("--help",), ("devices", "--help")],
)
def test_a_closed_pipe_ends_quietly(synced: dict[str, str], argv: tuple[str, ...]) -> None:
    """`ninja-desk devices | head`: the reader went away before we wrote."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "ninja_desk.cli.main", *argv],
        env=synced,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()  # like `head` exiting before the output arrives
    with proc.stderr:
        err = proc.stderr.read()
    proc.wait(timeout=60)
    assert "BrokenPipe" not in err and "Traceback" not in err and "Exception ignored" not in err
    assert err == ""
