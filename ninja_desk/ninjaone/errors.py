"""Typed NinjaOne failures. Every message reads as a sentence that says what to do next."""

from __future__ import annotations


class NinjaOneError(Exception):
    """Base for everything the client raises."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class NinjaOneTransportError(NinjaOneError):
    """The network failed (connection refused, reset, timeout) after retries."""


class NinjaOneServerError(NinjaOneError):
    """NinjaOne answered 5xx after retries."""


class NinjaOneRateLimited(NinjaOneError):
    """NinjaOne kept answering 429 after every retry."""


class NinjaOneAuthExpired(NinjaOneError):
    """The access token was refused and a refresh did not help: the user must reconnect."""


class NinjaOneReconnectRequired(NinjaOneAuthExpired):
    """The refresh token is invalid or revoked (`invalid_grant`)."""


class NinjaOneForbidden(NinjaOneError):
    """403: the user or the API client app lacks the permission or scope."""


class NinjaOneNotFound(NinjaOneError):
    pass


class NinjaOneBadRequest(NinjaOneError):
    pass


class NinjaOneBadResponse(NinjaOneError):
    """NinjaOne answered with a body we cannot read (not JSON, wrong shape)."""


def describe_error_body(body: object) -> str | None:
    """Pull the human text out of NinjaOne's three error envelopes (reference §10.2)."""
    if isinstance(body, str):
        return body.strip() or None
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("error_description"), str):
        return body["error_description"]
    message = body.get("errorMessage")
    if isinstance(message, str):
        return message
    if isinstance(message, dict) and isinstance(message.get("code"), str):
        return message["code"]
    if isinstance(body.get("error"), str):
        return body["error"]
    return None
