"""The data folder's sync lock: a second sync waits (told once) or says so at once."""

from __future__ import annotations

import asyncio
import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ninja_desk.cache.sync_lock import (
    WAITING_MESSAGE,
    SyncAlreadyRunning,
    lock_path,
    sync_lock,
)


async def test_a_second_holder_waits_and_is_told_once(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    order: list[str] = []
    waits: list[str] = []

    async def first() -> None:
        async with sync_lock(cache_path):
            order.append("first in")
            await asyncio.sleep(0.6)
            order.append("first out")

    async def second() -> None:
        await asyncio.sleep(0.05)
        async with sync_lock(cache_path, on_wait=lambda: waits.append("second")):
            order.append("second in")

    await asyncio.gather(first(), second())
    assert order == ["first in", "first out", "second in"]
    assert waits == ["second"]  # once, although it polled several times
    assert "waiting for the other sync" in WAITING_MESSAGE.lower()


async def test_max_wait_zero_says_so_at_once(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    async with sync_lock(cache_path):
        with pytest.raises(SyncAlreadyRunning, match=r"^Another NinjaDesk sync .* finished\.$"):
            async with sync_lock(cache_path, max_wait=0):
                pytest.fail("entered a held lock")
    async with sync_lock(cache_path, max_wait=0):  # free again
        pass


@pytest.mark.skipif(os.name != "posix", reason="reason: POSIX permission bits")
async def test_the_lock_file_is_private(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        async with sync_lock(tmp_path / "cache.sqlite3"):
            mode = stat.S_IMODE(lock_path(tmp_path / "cache.sqlite3").stat().st_mode)
    finally:
        os.umask(old)
    assert mode == 0o600


_HOLDER = textwrap.dedent(
    """
    import sys
    from filelock import FileLock
    lock = FileLock(sys.argv[1])
    lock.acquire()
    print("held", flush=True)
    sys.stdin.read()  # until the test closes our stdin
    lock.release()
    """
)


async def test_another_process_holding_the_lock_makes_us_wait(tmp_path: Path) -> None:
    cache_path = tmp_path / "cache.sqlite3"
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(lock_path(cache_path))],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        waits: list[int] = []

        async def take() -> None:
            async with sync_lock(cache_path, on_wait=lambda: waits.append(1)):
                pass

        task = asyncio.create_task(take())
        await asyncio.sleep(0.5)
        assert waits == [1] and not task.done()
        assert holder.stdin is not None
        holder.stdin.close()
        await asyncio.wait_for(task, 10)
    finally:
        holder.kill() if holder.poll() is None else None
        holder.wait(10)
        if holder.stdout is not None:
            holder.stdout.close()
