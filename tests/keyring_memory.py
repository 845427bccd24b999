"""An in-memory keyring backend for tests (CI machines have no secure keyring)."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.core
import keyring.errors
import pytest
from keyring.backend import KeyringBackend
from keyring.compat import properties


class MemoryKeyring(KeyringBackend):
    """Behaves like a secure OS keyring, but forgets everything when the test ends."""

    @properties.classproperty
    def priority(cls) -> float:
        return 1

    @properties.classproperty
    def viable(cls) -> bool:
        # Never picked by keyring's own backend detection just because this module was imported.
        return False

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.writes: list[tuple[str, str]] = []  # (service, username) in write order

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password
        self.writes.append((service, username))

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.entries[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    # Read the module slot directly: keyring.get_keyring() would run backend detection.
    previous = keyring.core._keyring_backend
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.core._keyring_backend = previous
