"""Hostile input: every malformed request is a 4xx with a sentence (never a 5xx or a held
connection), secrets never reach a log line, data files are private whatever the umask."""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from ninja_desk.relay import admin
from ninja_desk.relay.app import create_app, make_runner
from ninja_desk.relay.state import RelayConfig
from ninja_desk.relay.store import open_store
from tests.relay.conftest import Relay, activity
from tests.relay.relay_process import RelayProcess

FAST = RelayConfig(heartbeat=0.5, header_timeout=0.5, body_timeout=0.5)


@pytest.fixture
async def fast_relay(relay_factory: Any, sqlite_url: str) -> Relay:
    relay = await relay_factory(sqlite_url, FAST)
    relay.endpoint("acme")
    relay.subscriber("desk1")
    return relay


def _port(relay: Relay) -> int:
    return int(relay.url.rsplit(":", 1)[1])


async def _raw(
    relay: Relay, *pieces: bytes, pause: float = 0.1, wait: float = 5.0, until: bytes = b""
) -> bytes:
    """Send pieces with a pause between them (so they are separate reads on the server) and
    return everything the relay answers until it closes, `until` arrives or `wait` runs out."""
    reader, writer = await asyncio.open_connection("127.0.0.1", _port(relay))
    try:
        for i, piece in enumerate(pieces):
            if i:
                await asyncio.sleep(pause)
            writer.write(piece)
            await writer.drain()
        answer = b""
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                chunk = await asyncio.wait_for(reader.read(65536), deadline - time.monotonic())
            except TimeoutError:
                break
            if not chunk:
                break
            answer += chunk
            if until and until in answer:
                break
        return answer
    finally:
        writer.close()


def _hook_head(relay: Relay, extra: str = "") -> bytes:
    return (
        "POST /hooks/acme HTTP/1.1\r\nHost: relay\r\nContent-Type: application/json\r\n"
        f"X-NinjaDesk-Secret: {relay.secrets['acme']}\r\n{extra}\r\n"
    ).encode()


def _one_sentence(text: str) -> None:
    assert "Traceback" not in text and text.strip().endswith("."), text


@pytest.mark.parametrize(
    "cursor",
    [
        "9223372036854775808",
        "18446744073709551616",
        "99999999999999999999",
        "-1",
        "1_0",
        "+1",
        "\uff11\uff12",
        "0x10",
        "1e3",
        "soon",
    ],
)
async def test_bad_cursors_are_400_in_batch_and_stream(
    fast_relay: Relay, client: httpx.AsyncClient, cursor: str
):
    auth = {"Authorization": f"Bearer {fast_relay.tokens['desk1']}"}
    cases: list[tuple[dict[str, str], dict[str, str]]] = [
        ({"since": cursor, "wait": "0"}, auth),
        ({"since": cursor}, auth),
        ({"wait": "0", "limit": cursor}, auth),
    ]
    if cursor.isascii():  # an HTTP header cannot carry the other scripts' digits
        cases.append(({"wait": "0"}, {**auth, "Last-Event-ID": cursor}))
    for params, headers in cases:
        response = await client.get(f"{fast_relay.url}/events", params=params, headers=headers)
        assert response.status_code == 400, (params, headers, response.text)
        _one_sentence(response.json()["error"])
    assert fast_relay.state.metrics.store_errors == 0


async def test_largest_cursor_is_accepted(fast_relay: Relay, client: httpx.AsyncClient):
    batch = await fast_relay.batch(client, since=2**63 - 1)
    assert batch["events"] == [] and batch["gap"] is True


async def test_bad_gzip_body_is_400_not_500(fast_relay: Relay, client: httpx.AsyncClient):
    for body in (b"not gzip at all", b"\x1f\x8b\x08garbage"):
        response = await client.post(
            f"{fast_relay.url}/hooks/acme",
            content=body,
            headers={
                "X-NinjaDesk-Secret": fast_relay.secrets["acme"],
                "Content-Type": "application/json",
                "Content-Encoding": "gzip",
            },
        )
        assert response.status_code == 400, response.text
        _one_sentence(response.json()["error"])
    # A good gzip body still works.
    good = await client.post(
        f"{fast_relay.url}/hooks/acme",
        content=gzip.compress(b'{"id": 7}'),
        headers={
            "X-NinjaDesk-Secret": fast_relay.secrets["acme"],
            "Content-Type": "application/json",
            "Content-Encoding": "gzip",
        },
    )
    assert good.json() == {"status": "stored", "seq": 1}


async def test_malformed_second_chunk_is_answered_and_closed(fast_relay: Relay):
    start = time.monotonic()
    answer = await _raw(
        fast_relay,
        _hook_head(fast_relay, "Transfer-Encoding: chunked\r\n") + b"2\r\n{}\r\n",
        b"ZZ\r\nxx\r\n0\r\n\r\n",
    )
    elapsed = time.monotonic() - start
    status = int(answer.split(b" ", 2)[1])
    assert 400 <= status < 500, answer
    # Answered and closed within the body timeout (0.5 s here), not held for minutes.
    assert elapsed < 3, elapsed
    assert fast_relay.store.bounds().last_seq == 0


async def test_stalled_body_gets_408(fast_relay: Relay):
    start = time.monotonic()
    answer = await _raw(
        fast_relay,
        _hook_head(fast_relay, "Content-Length: 100\r\n") + b'{"id":',
        until=b"again.",
    )
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"send it again." in answer
    assert time.monotonic() - start < 3


async def test_stalled_headers_are_cut_off(fast_relay: Relay):
    start = time.monotonic()
    answer = await _raw(fast_relay, b"POST /hooks/acme HTTP/1.1\r\nHost: relay\r\n", wait=10)
    # The relay closed the connection (nothing read, EOF) within the header timeout.
    assert answer == b""
    assert time.monotonic() - start < 3


@pytest.mark.parametrize("number", [b"1e999", b"-1e999", b"1E400", b"123456789e999"])
async def test_non_finite_numbers_are_refused(
    fast_relay: Relay, client: httpx.AsyncClient, number: bytes
):
    response = await client.post(
        f"{fast_relay.url}/hooks/acme",
        content=b'{"id": 1, "value": ' + number + b"}",
        headers={
            "X-NinjaDesk-Secret": fast_relay.secrets["acme"],
            "Content-Type": "application/json",
        },
    )
    assert response.status_code == 400, response.text
    _one_sentence(response.json()["error"])
    assert fast_relay.store.bounds().last_seq == 0


async def test_impossible_endpoint_names_are_404(relay: Relay, client: httpx.AsyncClient):
    """PostgreSQL refuses NUL in text: the name must be refused before the database."""
    for name in ("%00", "a%00b", "x" * 300, "%F0%9F%92%A5"):
        response = await client.post(
            f"{relay.url}/hooks/{name}", json=activity(1), headers={"X-NinjaDesk-Secret": "s"}
        )
        assert response.status_code == 404, (name, response.text)
    assert relay.state.metrics.store_errors == 0


async def test_secrets_never_reach_the_log(
    fast_relay: Relay, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    secret, token = fast_relay.secrets["acme"], fast_relay.tokens["desk1"]
    caplog.set_level(logging.DEBUG)
    # A header aiohttp cannot parse: it logs the offending line, secret included.
    await _raw(fast_relay, _hook_head(fast_relay).replace(b"\r\n\r\n", b"\x01\r\n\r\n"))
    await _raw(
        fast_relay,
        b"GET /events HTTP/1.1\r\nHost: relay\r\n"
        + f"Authorization: Bearer {token}\x01\r\n\r\n".encode(),
    )
    # A secret someone put in the URL, with a body aiohttp cannot decode.
    await _raw(
        fast_relay,
        f"POST /hooks/acme?secret={secret} HTTP/1.1\r\nHost: relay\r\n"
        f"X-NinjaDesk-Secret: {secret}\r\nContent-Type: application/json\r\n"
        "Content-Encoding: gzip\r\nContent-Length: 5\r\n\r\nnogzp".encode(),
    )
    await asyncio.sleep(0.2)
    assert caplog.records, "the malformed requests were not logged at all"
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert secret not in text and secret[8:] not in text
    assert token not in text and token[8:] not in text
    # The client's mistakes are one line each, not an ERROR with a traceback.
    assert not [r for r in caplog.records if r.name.startswith("aiohttp") and r.exc_info]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_access_log_if_enabled_is_redacted(
    sqlite_url: str, client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
):
    """An admin who turns aiohttp's access log on (with headers in it) still logs no secret."""
    store = open_store(sqlite_url)
    store.init_schema()
    secret = admin.add_endpoint(store, "acme")
    token = admin.add_subscriber(store, "desk1")
    runner = make_runner(
        create_app(store, FAST),
        access_log=logging.getLogger("aiohttp.access"),
        access_log_format='%r %s "%{X-NinjaDesk-Secret}i" "%{Authorization}i"',
    )
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    caplog.set_level(logging.INFO)
    try:
        await client.post(
            f"{url}/hooks/acme?secret={secret}",
            json=activity(1),
            headers={"X-NinjaDesk-Secret": secret},
        )
        await client.post(
            f"{url}/hooks/acme", json=activity(2), headers={"X-NinjaDesk-Secret": "hunter2"}
        )
        await client.get(
            f"{url}/events", params={"wait": 0}, headers={"Authorization": f"Bearer {token}"}
        )
    finally:
        await runner.cleanup()
    access = [r.getMessage() for r in caplog.records if r.name == "aiohttp.access"]
    assert len(access) == 3, access
    # The relay's and aiohttp's lines (httpx here is the test's own client).
    text = "\n".join(
        r.getMessage() for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))
    )
    for value in (secret, secret[8:], token, token[8:]):
        assert value not in text, value
    # Whichever redaction filter got to the line first (the relay's, or the app-wide one another
    # test installed in this process), the line says something was taken out.
    assert "[redacted]" in access[0] or "***" in access[0], access
    assert "[redacted]" in access[2] or "***" in access[2], access


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_data_files_are_private_whatever_the_umask(tmp_path: Path):
    fresh = tmp_path / "new" / "state" / "relay.db"
    subprocess.run(
        [sys.executable, "-m", "ninja_desk.relay.cli", "init", "--db", f"sqlite:///{fresh}"],
        check=True,
        capture_output=True,
        umask=0,
    )
    assert _mode(fresh) == 0o600
    assert _mode(fresh.parent) == 0o700 and _mode(fresh.parent.parent) == 0o700
    # An install from before: a 0644 database in an existing 0755 directory.
    old_dir = tmp_path / "old"
    old_dir.mkdir(mode=0o755)
    os.chmod(old_dir, 0o755)
    old = old_dir / "relay.db"
    old.touch()
    os.chmod(old, 0o644)
    with RelayProcess(f"sqlite:///{old}", umask=0) as relay:
        httpx.get(f"{relay.url}/healthz", timeout=5).raise_for_status()
        for suffix in ("", "-wal", "-shm"):
            path = Path(f"{old}{suffix}")
            assert path.exists() and _mode(path) == 0o600, (suffix, oct(_mode(path)))
    # A directory the relay did not make is left as it is (it may be /tmp).
    assert _mode(old_dir) == 0o755
