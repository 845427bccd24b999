"""A cache that cannot be opened is not a corrupt cache: one sentence, and the file stays put.

What is simulated how (honestly):
- read-only folder / file: real permission bits. Root ignores them, so as root the child
  process runs with CAP_DAC_OVERRIDE dropped (`setpriv`); skipped when that is not possible.
- full disk: a real 1 MiB tmpfs filled with a filler file, mounted in a private mount namespace
  (`unshare -m`, needs root); skipped where namespaces are not allowed. Also, everywhere, SQLite's
  own SQLITE_FULL provoked with `PRAGMA max_page_count` (same code path, no real disk).
"""

from __future__ import annotations

import logging
import os
import shutil
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import event

from ninja_desk.cache.errors import CacheDiskFull
from ninja_desk.cache.store import LocalCache
from ninja_desk.paths import DataDirUnavailable, data_dir

posix_only = pytest.mark.skipif(os.name != "posix", reason="reason: POSIX permission bits")

_PROBE = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from ninja_desk.cache.store import LocalCache
    try:
        cache = LocalCache(Path(sys.argv[1]))
        if len(sys.argv) > 2:
            cache.write_blocking(lambda c: c.exec_driver_sql(
                "INSERT INTO organizations (id, name, deleted) VALUES (7, 'Tailspin', 0)"))
        cache.close()
        print("OPENED")
    except Exception as exc:
        print(type(exc).__name__, "|", exc)
    """
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _seed(path: Path) -> bytes:
    cache = LocalCache(path)
    cache.write_blocking(
        lambda conn: conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
        )
    )
    cache.close()
    return path.read_bytes()


def _without_root_override(cmd: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return cmd
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("reason: root ignores permission bits and setpriv is not installed")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--", *cmd]


def _probe(path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    cmd = _without_root_override([sys.executable, "-c", _PROBE, str(path), *extra])
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=False)


def _assert_untouched(path: Path, before: bytes) -> None:
    assert path.read_bytes() == before
    assert not [p.name for p in path.parent.iterdir() if ".corrupt-" in p.name]


@posix_only
def test_cache_and_folder_are_private_in_a_preexisting_0755_folder(tmp_path: Path) -> None:
    folder = tmp_path / "NinjaDesk"
    folder.mkdir()
    os.chmod(folder, 0o755)
    old_umask = os.umask(0o022)
    try:
        cache = LocalCache(folder / "cache.sqlite3")
        cache.write_blocking(
            lambda conn: conn.exec_driver_sql(
                "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
            )
        )
        files = {p.name: _mode(p) for p in folder.iterdir()}
        cache.close()
    finally:
        os.umask(old_umask)
    assert _mode(folder) == 0o700
    assert files["cache.sqlite3"] == 0o600
    assert files.get("cache.sqlite3-wal", 0o600) == 0o600
    assert files.get("cache.sqlite3-shm", 0o600) == 0o600


@posix_only
def test_an_existing_world_readable_cache_and_data_dir_are_tightened(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    _seed(path)
    os.chmod(path, 0o644)
    os.chmod(tmp_path, 0o755)
    LocalCache(path).close()
    assert _mode(path) == 0o600 and _mode(tmp_path) == 0o700
    # The data dir helper does the same for the whole profile folder.
    profile = tmp_path / "profile"
    profile.mkdir(mode=0o755)
    os.chmod(profile, 0o755)
    assert data_dir(profile) == profile and _mode(profile) == 0o700


@posix_only
def test_a_read_only_folder_keeps_a_healthy_cache(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    path = folder / "cache.sqlite3"
    before = _seed(path)
    os.chmod(folder, 0o500)
    try:
        result = _probe(path)
    finally:
        os.chmod(folder, 0o700)
    assert result.stdout.startswith("CacheReadOnly | "), result.stdout + result.stderr
    assert "read-only" in result.stdout and "Traceback" not in result.stderr
    assert "moved it aside" not in result.stderr
    _assert_untouched(path, before)


@posix_only
def test_a_read_only_cache_file_is_not_called_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "cache.sqlite3"
    before = _seed(path)
    os.chmod(path, 0o400)
    result = _probe(path, "write")
    assert result.stdout.startswith("CacheReadOnly | "), result.stdout + result.stderr
    _assert_untouched(path, before)


def test_an_uncreatable_data_dir_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    with pytest.raises(DataDirUnavailable, match=r"cannot create its data folder .*--data-dir"):
        data_dir(blocker / "NinjaDesk")
    with pytest.raises(DataDirUnavailable, match="cannot create its data folder"):
        LocalCache(blocker / "NinjaDesk" / "cache.sqlite3")


def test_sqlite_full_during_a_write_is_a_sentence_and_keeps_the_cache(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "cache.sqlite3"
    cache = LocalCache(path)
    cache.engine.dispose()
    pages = cache.scalar("PRAGMA page_count")
    cache.engine.dispose()

    def cap(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
        dbapi_connection.execute(f"PRAGMA max_page_count={pages + 2}")

    event.listen(cache.engine, "connect", cap)
    blob = "x" * 200_000

    def fill(conn) -> None:  # type: ignore[no-untyped-def]
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (1, 'Contoso', 0)"
        )
        conn.exec_driver_sql(
            "INSERT INTO organizations (id, name, deleted) VALUES (2, ?, 0)", (blob,)
        )

    with pytest.raises(CacheDiskFull, match=r"is full, .*free some space") as caught:
        cache.write_blocking(fill)
    assert "\n" not in str(caught.value)
    cache.close()
    with caplog.at_level(logging.WARNING):
        reopened = LocalCache(path)
    try:
        assert reopened.scalar("SELECT count(*) FROM organizations") == 0  # rolled back
    finally:
        reopened.close()
    assert not [r for r in caplog.records if "moved it aside" in r.getMessage()]
    assert not [p for p in tmp_path.iterdir() if ".corrupt-" in p.name]


_FULL_DISK = textwrap.dedent(
    """
    set -e
    mount -t tmpfs -o size=1m tmpfs "$1"
    "$2" -c "$3" "$1/d/cache.sqlite3" write
    sha1sum "$1/d/cache.sqlite3" > "$1/before"
    dd if=/dev/zero of="$1/filler" bs=4k 2>/dev/null || true
    echo "open:"; "$2" -c "$3" "$1/d/cache.sqlite3"
    echo "fresh:"; "$2" -c "$3" "$1/e/cache.sqlite3"
    ls "$1/d"
    sha1sum -c --quiet "$1/before" && echo SAME
    rm "$1/filler"
    echo "after:"; "$2" -c "$3" "$1/d/cache.sqlite3"
    """
)


@pytest.mark.skipif(sys.platform != "linux", reason="reason: tmpfs and mount namespaces")
def test_a_really_full_disk_on_a_tiny_tmpfs(tmp_path: Path) -> None:
    unshare = shutil.which("unshare")
    if os.geteuid() != 0 or unshare is None:
        pytest.skip("reason: a private tmpfs mount needs root and unshare")
    mount_point = tmp_path / "tiny"
    mount_point.mkdir()
    result = subprocess.run(
        [unshare, "-m", "sh", "-c", _FULL_DISK, "sh", str(mount_point), sys.executable, _PROBE],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if "mount:" in result.stderr and "permission denied" in result.stderr.lower():
        pytest.skip("reason: this container does not allow mounting a tmpfs")
    out = result.stdout
    assert result.returncode == 0, out + result.stderr
    opened = out.split("open:\n", 1)[1].splitlines()[0]
    fresh = out.split("fresh:\n", 1)[1].splitlines()[0]
    assert opened.startswith("CacheDiskFull | The disk holding the local cache"), out
    assert fresh.startswith("CacheDiskFull | "), out
    assert "corrupt" not in out and "SAME" in out
    assert out.split("after:\n", 1)[1].startswith("OPENED"), out
