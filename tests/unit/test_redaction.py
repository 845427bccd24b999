from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from ninja_desk.ninjaone.redaction import (
    RedactionFilter,
    install_redaction,
    redact,
    uninstall_redaction,
)

SECRET = "s3cr3t-VALUE_abc.def~123"


@pytest.mark.parametrize(
    "text",
    [
        f"Authorization: Bearer {SECRET}",
        f"headers={{'authorization': 'bearer {SECRET}'}}",
        f"GET http://127.0.0.1:5000/callback?code={SECRET}&state=xyz",
        f"grant_type=refresh_token&refresh_token={SECRET}&client_id=desk",
        f"client_id=desk&client_secret={SECRET}",
        f'{{"access_token": "{SECRET}", "expires_in": 3600}}',
        f"{{'refresh_token': '{SECRET}'}}",
        f"code_verifier={SECRET}",
        f"(b'location', b'http://127.0.0.1:1/callback?code={SECRET}&state=q')",
        f"X-NinjaDesk-Secret: {SECRET}",
    ],
)
def test_secrets_are_masked(text: str) -> None:
    out = redact(text)
    assert SECRET not in out
    assert "***" in out


def test_harmless_text_survives() -> None:
    text = "error_code=5 statusCode=TRIGGERED state=abc scope=monitoring HTTP/1.1 200 OK"
    assert redact(text) == text


@pytest.fixture
def installed() -> Iterator[None]:
    install_redaction()
    try:
        yield
    finally:
        uninstall_redaction()


def test_installed_factory_scrubs_messages_args_and_tracebacks(
    installed: None, caplog: pytest.LogCaptureFixture
) -> None:
    log = logging.getLogger("third.party")
    with caplog.at_level(logging.DEBUG):
        log.debug("token body %s", {"access_token": SECRET})
        log.info("HTTP Request: GET http://x/cb?code=%s", SECRET)
        try:
            raise ValueError(f"refresh_token={SECRET}")
        except ValueError:
            log.exception("failed")
    assert len(caplog.records) == 3
    assert SECRET not in caplog.text
    assert "***" in caplog.text


def test_filter_for_handlers_configured_elsewhere() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "Bearer %s", (SECRET,), None)
    assert RedactionFilter().filter(record) is True
    assert SECRET not in record.getMessage()
