"""Keep OAuth secrets out of log output.

The app calls `install_redaction()` once at start-up. It wraps the log-record factory, so
every record from every logger (ours, httpx, httpcore, third parties) is scrubbed before any
handler or formatter sees it: a filter on one handler would miss handlers added later and
records that propagate past it. `RedactionFilter` is there for handlers set up elsewhere.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable
from typing import Any

MASK = "***"

_SECRET_KEYS = (
    "access_token",
    "refresh_token",
    "id_token",
    "client_secret",
    "webhook_secret",
    "code_verifier",
    "code",
    "token",
    "password",
    "passphrase",
)
_KEYS = "|".join(_SECRET_KEYS)

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # Authorization: Bearer <token> (also "bearer", in header reprs and messages)
    (re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9\-._~+/]+=*"), r"\1 " + MASK),
    # Basic auth carries id:secret
    (re.compile(r"(?i)\b(basic)\s+[A-Za-z0-9+/]{8,}=*"), r"\1 " + MASK),
    # form or query: code=...&refresh_token=...  (word boundary keeps error_code=, state= safe)
    (re.compile(rf"(?i)(?<![A-Za-z0-9_])({_KEYS})=([^&\s'\"<>,;)\]]+)"), r"\1=" + MASK),
    # JSON or dict repr: "access_token": "..." / 'refresh_token': '...'
    (
        re.compile(rf"(?i)([\"'](?:{_KEYS})[\"']\s*:\s*)([\"'])(?:\\.|(?!\2).)*\2"),
        r"\1\2" + MASK + r"\2",
    ),
    # relay endpoint secrets and subscriber tokens carry a recognisable prefix
    (re.compile(r"\bndr_(whs|sub)_[A-Za-z0-9_\-]+"), r"ndr_\1_" + MASK),
    # key-value in prose or headers: X-NinjaDesk-Secret: value
    (re.compile(r"(?i)(x-ninjadesk-secret[\"']?\s*[:=,]\s*[\"']?)[^\s\"',)]+"), r"\1" + MASK),
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _scrub(record: logging.LogRecord) -> None:
    if getattr(record, "_ninja_desk_redacted", False):
        return
    try:
        message = record.getMessage()
    except Exception:  # a broken format string must not lose the record
        message = f"{record.msg!r} {record.args!r}"
    record.msg = redact(message)
    record.args = None
    if record.exc_info and record.exc_info[0] is not None:
        record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip())
    if record.stack_info:
        record.stack_info = redact(record.stack_info)
    record._ninja_desk_redacted = True


class RedactionFilter(logging.Filter):
    """Rewrites a record's message with secrets masked; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        _scrub(record)
        return True


_lock = threading.Lock()
_previous_factory: Callable[..., logging.LogRecord] | None = None


def install_redaction() -> None:
    """Scrub every log record in the process (idempotent)."""
    global _previous_factory
    with _lock:
        if _previous_factory is not None:
            return
        previous = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = previous(*args, **kwargs)
            _scrub(record)
            return record

        _previous_factory = previous
        logging.setLogRecordFactory(factory)


def uninstall_redaction() -> None:
    """For tests: restore the factory that was there before `install_redaction`."""
    global _previous_factory
    with _lock:
        if _previous_factory is not None:
            logging.setLogRecordFactory(_previous_factory)
            _previous_factory = None
