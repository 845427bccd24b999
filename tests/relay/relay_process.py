"""Run `python -m ninja_desk.relay.cli serve` as a real subprocess for crash tests."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from typing import Any

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RelayProcess:
    def __init__(
        self,
        db: str,
        port: int | None = None,
        extra: list[str] | None = None,
        umask: int = -1,
    ) -> None:
        self.db = db
        self.umask = umask
        self.port = port or free_port()
        self.extra = extra or []
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None
        self.logs: list[str] = []
        self._log_path = ""

    def start(self) -> RelayProcess:
        # Output goes to a file, not a pipe: a full pipe would block the relay mid-test.
        fd, self._log_path = tempfile.mkstemp(prefix="relay-", suffix=".log")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "ninja_desk.relay.cli",
                "serve",
                "--db",
                self.db,
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                *self.extra,
            ],
            stdout=fd,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
            umask=self.umask,
        )
        os.close(fd)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"relay exited at start: {self._read_log()}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError(f"relay did not become healthy: {self._read_log()}")

    def _read_log(self) -> str:
        with open(self._log_path, encoding="utf-8", errors="replace") as handle:
            return handle.read()

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no flush; only what was committed survives."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        self._collect()

    def stop(self) -> str:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._collect()
        return "".join(self.logs)

    def _collect(self) -> None:
        if self._log_path:
            self.logs.append(self._read_log())
            os.unlink(self._log_path)
            self._log_path = ""
        self.proc = None

    def __enter__(self) -> RelayProcess:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
