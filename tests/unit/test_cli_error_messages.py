"""Every failure a CLI command can meet reads as one sentence with what to do next."""

from __future__ import annotations

import httpx
import keyring.errors
import psycopg
import pytest
import sqlalchemy as sa

from ninja_desk.cli.error_messages import DEBUG_HINT, EXIT_BUG, describe, explain
from ninja_desk.ninjaone.errors import NinjaOneAuthExpired, NinjaOneTransportError


def _sa_error(url: str) -> Exception:
    try:
        engine = sa.create_engine(url)
        with engine.connect():
            pass
    except Exception as exc:  # the real exception SQLAlchemy raises for this URL
        return exc
    raise AssertionError(f"{url} connected")


def _connect_error() -> httpx.ConnectError:
    request = httpx.Request("GET", "http://127.0.0.1:9/v2/devices")
    return httpx.ConnectError("[Errno 111] Connection refused", request=request)


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda: _sa_error("hello world"), "not a database URL"),
        (lambda: _sa_error("nosuchdb://x/y"), "driver that is not installed"),
        (
            lambda: _sa_error("postgresql+psycopg://u:hunter2@127.0.0.1:9/psa"),
            "Could not open the PSA database",
        ),
        (lambda: psycopg.OperationalError("connection refused"), "Could not connect to PostgreSQL"),
        (lambda: keyring.errors.KeyringLocked("locked"), "--encrypted-file"),
        (_connect_error, "Could not reach http://127.0.0.1:9"),
        (lambda: httpx.UnsupportedProtocol("Request URL is missing a scheme"), "not a usable URL"),
        (lambda: NinjaOneAuthExpired("NinjaOne refused the session"), "ninja-desk login"),
        (lambda: NinjaOneTransportError("Could not reach NinjaOne."), "Could not reach NinjaOne"),
        (lambda: PermissionError(13, "Permission denied", "/root/x"), "--data-dir"),
    ],
)
def test_known_failures_are_one_sentence_with_a_hint(make, expected: str) -> None:
    sentence, code = explain(make())
    assert expected in sentence
    assert code != 0
    assert "\n" not in sentence and "Traceback" not in sentence
    assert "hunter2" not in sentence  # database passwords never reach the terminal


def test_unknown_failures_name_themselves_and_point_at_debug() -> None:
    sentence, code = explain(ZeroDivisionError("division by zero"))
    assert code == EXIT_BUG
    assert "ZeroDivisionError: division by zero" in sentence and DEBUG_HINT in sentence
    assert DEBUG_HINT not in explain(ZeroDivisionError("x"), debug=True)[0]
    assert describe(ZeroDivisionError("x")) is None
