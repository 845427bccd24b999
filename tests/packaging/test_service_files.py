"""The packaging recipes agree with the code they start.

A renamed relay option, a lost hardening line, an SSE location that buffers again, or a
desktop entry naming an executable the spec no longer builds would all still "look" fine;
these tests read the files and hold them to the CLI parsers and the bundle spec.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from aiohttp import web

from ninja_desk.relay import cli as relay_cli
from ninja_desk.relay.app import create_app
from ninja_desk.relay.state import RelayConfig
from ninja_desk.relay.store import open_store

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
RELAY = PACKAGING / "relay"
UNIT = RELAY / "ninja-desk-relay.service"
DOCKERFILE = RELAY / "Dockerfile"


def _unit() -> dict[str, list[str]]:
    """Key -> every value it is given (systemd allows repeats, e.g. SystemCallFilter)."""
    values: dict[str, list[str]] = {}
    for line in UNIT.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";", "[")):
            continue
        key, _, value = line.partition("=")
        values.setdefault(key.strip(), []).append(value.strip())
    return values


def _parses_as_relay_command(argv: list[str]) -> None:
    """`ninja-desk-relay ARGS` is accepted by the real parser (exit 2 would mean it is not)."""
    try:
        relay_cli.build_parser().parse_args(argv)
    except SystemExit as exc:  # argparse's "unrecognized arguments" and friends
        pytest.fail(f"ninja-desk-relay {' '.join(argv)} does not parse (exit {exc.code})")


def test_systemd_unit_is_hardened_and_runs_serve() -> None:
    unit = _unit()
    for key, value in {
        "DynamicUser": "yes",
        "StateDirectory": "ninja-desk-relay",
        "ProtectSystem": "strict",
        "ProtectHome": "yes",
        "PrivateTmp": "yes",
        "NoNewPrivileges": "yes",
        "CapabilityBoundingSet": "",
        "RestrictSUIDSGID": "yes",
        "Restart": "on-failure",
    }.items():
        assert unit.get(key) == [value], f"{key}={value} missing from {UNIT.name}"
    assert "@system-service" in unit["SystemCallFilter"]
    (exec_start,) = unit["ExecStart"]
    argv = shlex.split(exec_start)
    assert argv[0].endswith("/bin/ninja-desk-relay") and argv[1] == "serve"
    _parses_as_relay_command(argv[1:])
    assert argv[argv.index("--host") + 1] == "127.0.0.1", "the proxy, not the relay, faces out"
    # The database lives in the state directory the unit grants, nowhere else.
    env = dict(v.split("=", 1) for v in unit["Environment"])
    assert env["NINJA_DESK_RELAY_DB"] == "sqlite:////var/lib/ninja-desk-relay/relay.db"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze here")
def test_systemd_unit_verifies(tmp_path: Path) -> None:
    # verify insists that ExecStart exists: point it at this venv's relay script.
    relay = Path(sys.executable).parent / "ninja-desk-relay"
    assert relay.exists()
    text = UNIT.read_text(encoding="utf-8").replace(
        "/opt/ninja-desk-relay/bin/ninja-desk-relay", str(relay)
    )
    copy = tmp_path / UNIT.name
    copy.write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "Unknown key" not in done.stderr and "Unknown lvalue" not in done.stderr, done.stderr


def _dockerfile() -> tuple[list[str], str]:
    text = DOCKERFILE.read_text(encoding="utf-8")
    joined = re.sub(r"\\\n\s*", " ", text)
    return [line for line in joined.splitlines() if line and not line.startswith("#")], text


def test_dockerfile_runs_the_relay_without_qt_as_non_root() -> None:
    lines, _ = _dockerfile()
    stages = [line.split()[1] for line in lines if line.startswith("FROM ")]
    assert stages and all(s == "python:3.12-slim" for s in stages), stages
    installs = " ".join(line for line in lines if "pip " in line)
    assert "[ui]" not in installs and "PySide6" not in installs
    user = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert user and user[-1] not in ("root", "0"), user
    (cmd,) = [json.loads(line[4:]) for line in lines if line.startswith("CMD ")]
    (entry,) = [json.loads(line[11:]) for line in lines if line.startswith("ENTRYPOINT ")]
    assert entry == ["ninja-desk-relay"]
    _parses_as_relay_command(cmd)
    port = cmd[cmd.index("--port") + 1]
    assert any(line == f"EXPOSE {port}" for line in lines)
    env = " ".join(line for line in lines if line.startswith("ENV "))
    assert "NINJA_DESK_RELAY_DB=sqlite:////data/relay.db" in env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def test_dockerfile_healthcheck_command_follows_healthz(tmp_path: Path) -> None:
    lines, _ = _dockerfile()
    (health,) = [line for line in lines if line.startswith("HEALTHCHECK ")]
    assert "/healthz" in health
    argv = json.loads(health[health.index("CMD ") + 4 :])
    assert argv[0] == "python"
    port = _free_port()
    probe = [sys.executable, *argv[1:-1], argv[-1].replace("8787", str(port))]

    async def run_probe() -> int:
        import asyncio

        proc = await asyncio.create_subprocess_exec(*probe)
        return await asyncio.wait_for(proc.wait(), 30)

    assert await run_probe() != 0, "healthy with no relay listening"
    store = open_store(f"sqlite:///{tmp_path / 'relay.db'}")
    runner = web.AppRunner(create_app(store, RelayConfig()), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        assert await run_probe() == 0, "unhealthy while /healthz answers 200"
        store.close()  # the database is gone: /healthz answers 503
        assert await run_probe() != 0, "healthy while /healthz answers 503"
    finally:
        await runner.cleanup()


def test_dockerignore_sends_only_the_package() -> None:
    ignore = (RELAY / "Dockerfile.dockerignore").read_text(encoding="utf-8").splitlines()
    assert "*" in ignore, "the context must start from nothing"
    for needed in ("!pyproject.toml", "!README.md", "!ninja_desk/"):
        assert needed in ignore
    _, text = _dockerfile()
    for copied in re.findall(r"^COPY (?!--from)(.+) \S+$", text, flags=re.M):
        for source in copied.split():
            assert f"!{source}" in ignore or f"!{source}/" in ignore, source


def test_proxies_do_not_buffer_the_event_stream() -> None:
    nginx = (RELAY / "nginx.conf").read_text(encoding="utf-8")
    events = re.search(r"location = /events \{(.*?)\}", nginx, flags=re.S)
    assert events is not None
    for directive in ("proxy_buffering off;", "proxy_cache off;", "gzip off;"):
        assert directive in events.group(1)
    assert re.search(r"location = /metrics \{\s*return 404;", nginx)
    caddy = (RELAY / "Caddyfile").read_text(encoding="utf-8")
    code = "\n".join(line for line in caddy.splitlines() if not line.strip().startswith("#"))
    assert "flush_interval -1" in code
    assert not re.search(r"^\s*encode\b", code, flags=re.M), "compression holds events back"
    assert not re.search(r"^\s*log\b", code, flags=re.M), "Caddy logs X-NinjaDesk-Secret"
    assert "respond @metrics 404" in code


def test_desktop_entry_names_what_the_spec_builds() -> None:
    spec = (PACKAGING / "ninja-desk.spec").read_text(encoding="utf-8")
    (exe_name,) = re.findall(r'^\s*name="([^"]+)",\s*$', spec.split("exe = EXE(")[1], re.M)[:1]
    entry = (PACKAGING / "linux" / "com.ninjadesk.NinjaDesk.desktop").read_text(encoding="utf-8")
    fields = dict(line.split("=", 1) for line in entry.splitlines() if "=" in line)
    assert fields["Exec"].split()[0] == exe_name
    assert fields["TryExec"] == exe_name
    assert fields["Icon"] == "com.ninjadesk.NinjaDesk"
    metainfo = (PACKAGING / "linux" / "com.ninjadesk.NinjaDesk.metainfo.xml").read_text(
        encoding="utf-8"
    )
    assert f"<binary>{exe_name}</binary>" in metainfo
    assert '<launchable type="desktop-id">com.ninjadesk.NinjaDesk.desktop</launchable>' in (
        metainfo
    )
    from ninja_desk import __version__

    assert f'<release version="{__version__}"' in metainfo
    smoke = (PACKAGING / "smoke_test.py").read_text(encoding="utf-8")
    assert f'"{exe_name}"' in smoke


@pytest.mark.skipif(shutil.which("desktop-file-validate") is None, reason="no desktop-file-utils")
def test_desktop_entry_validates() -> None:
    entry = PACKAGING / "linux" / "com.ninjadesk.NinjaDesk.desktop"
    done = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert done.returncode == 0 and not done.stdout.strip(), done.stdout


@pytest.mark.skipif(shutil.which("appstreamcli") is None, reason="no appstreamcli")
def test_appstream_metadata_validates() -> None:
    metainfo = PACKAGING / "linux" / "com.ninjadesk.NinjaDesk.metainfo.xml"
    done = subprocess.run(
        ["appstreamcli", "validate", "--no-net", str(metainfo)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_bundle_requirements_are_pinned() -> None:
    lines = [
        line.strip()
        for line in (PACKAGING / "requirements-bundle.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert any(line.startswith("pyinstaller==") for line in lines)
    assert all(re.fullmatch(r"[A-Za-z0-9_.-]+==[0-9][A-Za-z0-9.]*", line) for line in lines), lines
