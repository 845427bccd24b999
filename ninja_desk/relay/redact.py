"""Secrets never reach a log line, whoever writes it (the relay or aiohttp itself).

aiohttp logs a malformed request with the offending bytes, which may be the
`X-NinjaDesk-Secret` header, and an access log would print paths with query strings. A
`logging.Filter` on the relay's and aiohttp's loggers (and on the handlers `serve` installs)
rewrites each record before any handler formats it: the message, its arguments and the
traceback text. A bad request that aiohttp reports as an ERROR with a traceback is also cut to
one WARNING line: it is the client's mistake, not the relay's.
"""

from __future__ import annotations

import logging
import re

from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.web import RequestPayloadError

REDACTED = "[redacted]"
_PATTERNS = [
    # Whatever value follows the secret header or an Authorization header (maybe a wrong one).
    (
        re.compile(r"(?i)(x-ninjadesk-secret[\"']?\s*[:=,]\s*[\"']?)[^\s\"'\\,;&)]+"),
        rf"\1{REDACTED}",
    ),
    (
        re.compile(
            r"(?i)(authorization[\"']?\s*[:=,]\s*[\"']?(?:bearer\s+|basic\s+)?)[^\s\"'\\,;&)]+"
        ),
        rf"\1{REDACTED}",
    ),
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/\-]+=*"), rf"\1{REDACTED}"),
    (
        re.compile(r"(?i)([?&](?:secret|token|access_token|key|password)=)[^&\s\"'\\]+"),
        rf"\1{REDACTED}",
    ),
    # Our own secrets and tokens, wherever else they appear (path, body, repr of bytes).
    (re.compile(r"ndr_(whs|sub)_[A-Za-z0-9_\-]+"), rf"ndr_\1_{REDACTED}"),
]
LOGGERS = (
    "aiohttp",
    "aiohttp.access",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.internal",
    "aiohttp.client",
    "asyncio",
    "ninja_desk.relay",
)


def redact(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_ninjadesk_redacted", False):
            return True
        record._ninjadesk_redacted = True
        try:
            self._rewrite(record)
        except Exception:  # a filter that raises would turn a log line into a 500
            record.msg = "(a log line was dropped: it could not be checked for secrets)"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True

    @staticmethod
    def _rewrite(record: logging.LogRecord) -> None:
        exc = record.exc_info[1] if record.exc_info else None
        if record.name == "aiohttp.server" and isinstance(
            exc, HttpProcessingError | RequestPayloadError
        ):
            # The client's bad bytes, not a relay fault: one line, no traceback.
            cause = exc.__cause__ if isinstance(exc, RequestPayloadError) else None
            source = cause if isinstance(cause, HttpProcessingError) else exc
            detail = str(getattr(source, "message", "") or source).strip().splitlines()
            record.msg = "Refused a malformed request: %s"
            record.args = ((detail[0].rstrip(":") if detail else type(exc).__name__),)
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = "WARNING"
        try:
            message = record.getMessage()
        except Exception:  # a broken format string: keep the template, drop the arguments
            message = f"{record.msg} {record.args!r}"
        record.msg = redact(message)
        record.args = None
        if record.exc_info:
            record.exc_text = redact(logging.Formatter().formatException(record.exc_info))
        if record.stack_info:
            record.stack_info = redact(record.stack_info)


_FILTER = RedactingFilter("ninjadesk-redaction")


def install(handlers: bool = False) -> None:
    """Put the filter on the relay's and aiohttp's loggers (idempotent).

    A logger's filters see only records logged to that very logger, so every relay module
    logger gets one; `handlers=True` also covers whatever the root handlers receive.
    """
    names = set(LOGGERS)
    names.update(
        name
        for name in list(logging.root.manager.loggerDict)
        if name.startswith(("ninja_desk.relay", "aiohttp"))
    )
    for name in names:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
    if handlers:
        for handler in logging.getLogger().handlers:
            if _FILTER not in handler.filters:
                handler.addFilter(_FILTER)
