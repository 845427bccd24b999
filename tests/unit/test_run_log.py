"""One private, redacted log file per run; old runs pruned; crashes written beside it."""

from __future__ import annotations

import faulthandler
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from ninja_desk.cli.main import main
from ninja_desk.run_log import RunLog, start_run_log

TOKEN = "eyJraWQiOiJhYmMifQ.c2VjcmV0LXJlZnJlc2g"


@pytest.fixture
def logger() -> Iterator[logging.Logger]:
    """A logger of its own, so the test sees exactly what the run log wrote."""
    named = logging.getLogger("ninja_desk.tests.run_log")
    named.propagate = False
    named.setLevel(logging.WARNING)
    yield named
    named.propagate = True
    named.setLevel(logging.NOTSET)


def _read(run: RunLog) -> str:
    run.handler.flush()
    return run.path.read_text(encoding="utf-8")


def test_a_run_writes_a_private_redacted_file_in_the_data_dirs_logs(
    tmp_path: Path, logger: logging.Logger
) -> None:
    run = start_run_log("desktop", data_dir=tmp_path, logger=logger)
    assert run is not None
    try:
        logger.info("refreshing with refresh_token=%s", TOKEN)
        logger.warning("header Authorization: Bearer %s", TOKEN)
        try:
            raise RuntimeError(f"token endpoint said no to access_token={TOKEN}")
        except RuntimeError:
            logger.exception("refresh failed")
        text = _read(run)
    finally:
        run.close()
    assert run.path.parent == tmp_path / "logs"
    assert run.path.name.startswith("desktop-") and run.path.suffix == ".log"
    assert stat.S_IMODE(run.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(run.path.parent.stat().st_mode) == 0o700
    assert TOKEN not in text
    assert "refresh_token=***" in text and "Bearer ***" in text and "access_token=***" in text
    assert "Traceback" in text and "RuntimeError" in text
    first = text.splitlines()[0]
    assert "NinjaDesk " in first and "(desktop)" in first and "Python " in first
    # The logger's level went down to INFO for the run and is back afterwards.
    assert logger.level == logging.WARNING


def test_only_the_newest_runs_are_kept(tmp_path: Path, logger: logging.Logger) -> None:
    logs = tmp_path / "logs"
    logs.mkdir(mode=0o700)
    old = [logs / f"agent-2020010{n}-000000-000000-1.log" for n in range(1, 6)]
    for path in old:
        path.write_text("old run\n")
        Path(f"{path}.1").write_text("rolled over\n")
    other = logs / "cli-20200101-000000-000000-1.log"
    other.write_text("a CLI run\n")
    run = start_run_log("agent", data_dir=tmp_path, keep=3, logger=logger)
    assert run is not None
    run.close()
    remaining = sorted(p.name for p in logs.iterdir())
    assert remaining == sorted(
        [
            "agent-20200104-000000-000000-1.log",
            "agent-20200104-000000-000000-1.log.1",
            "agent-20200105-000000-000000-1.log",
            "agent-20200105-000000-000000-1.log.1",
            run.path.name,
            other.name,  # another program's runs are not this one's to prune
        ]
    )


def test_faults_go_to_a_file_beside_the_log_and_an_empty_one_is_removed(
    tmp_path: Path, logger: logging.Logger
) -> None:
    run = start_run_log("desktop", data_dir=tmp_path, logger=logger)
    assert run is not None
    try:
        assert faulthandler.is_enabled()
        assert run.fault_path == run.path.with_suffix(".faults")
        assert stat.S_IMODE(run.fault_path.stat().st_mode) == 0o600
        assert run._fault_file is not None
        faulthandler.dump_traceback(file=run._fault_file, all_threads=False)
        run._fault_file.flush()
        assert "test_run_log.py" in run.fault_path.read_text()
    finally:
        run.close()
    assert run.fault_path.exists()  # it holds a dump: kept for the bug report

    clean = start_run_log("desktop", data_dir=tmp_path, logger=logger)
    assert clean is not None
    clean.close()
    assert not clean.fault_path.exists()


def test_an_unusable_log_folder_is_no_file_not_a_crash(
    tmp_path: Path, logger: logging.Logger
) -> None:
    (tmp_path / "logs").write_text("a file where the folder should be")  # even root cannot
    assert start_run_log("cli", data_dir=tmp_path, logger=logger) is None
    assert not [h for h in logger.handlers if isinstance(h, logging.FileHandler)]


def test_a_cli_failure_is_one_sentence_on_stderr_and_the_traceback_in_the_log(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_args: object) -> int:
        raise ValueError(f"the cache said refresh_token={TOKEN}")

    monkeypatch.setattr("ninja_desk.cli.main.cmd_status", broken)
    assert main(["--data-dir", str(tmp_path), "status"]) != 0
    err = capsys.readouterr().err
    assert "Traceback" not in err
    (log_file,) = (tmp_path / "logs").glob("cli-*.log")
    text = log_file.read_text(encoding="utf-8")
    assert "Traceback" in text and "ValueError" in text and "broken" in text
    assert TOKEN not in text
    assert not list((tmp_path / "logs").glob("*.faults"))  # a clean exit leaves no dump file
