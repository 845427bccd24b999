"""Typed PSA errors. Every message is a sentence a technician can act on."""

from __future__ import annotations


class PsaError(Exception):
    """Base class for PSA database errors."""


class PsaSchemaMismatch(PsaError):
    pass


class PermissionDenied(PsaError):
    def __init__(self, message: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission


class NotFound(PsaError):
    pass


class SyncInProgress(PsaError):
    """Another machine holds the push lock for this integration."""

    def __init__(self, message: str, holder: str | None = None) -> None:
        super().__init__(message)
        self.holder = holder
