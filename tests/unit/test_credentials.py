from __future__ import annotations

from pathlib import Path

import keyring
import keyring.backends.fail
import keyring.backends.null
import pytest

from ninja_desk.ninjaone.credentials import (
    CLIENT_SECRET,
    ENV_CLIENT_SECRET,
    ENV_REFRESH_TOKEN,
    MAX_SECRET_BYTES,
    REFRESH_TOKEN,
    EncryptedFileSecrets,
    EnvSecrets,
    KeyringSecrets,
    KeyringTokenStore,
    NoSecureKeyring,
    SecretTooLarge,
    WrongPassphrase,
    check_secret_size,
    keyring_is_secure,
    open_secrets,
    service_name,
)
from ninja_desk.ninjaone.tokens import TokenSet
from tests.keyring_memory import MemoryKeyring, memory_keyring  # noqa: F401

BASE = "https://eu.ninjarmm.com"
SERVICE = "NinjaDesk/eu.ninjarmm.com/desk-native"


def test_one_service_per_integration() -> None:
    assert service_name(BASE, "desk-native") == SERVICE
    assert service_name("http://127.0.0.1:8123/", "x") == "NinjaDesk/127.0.0.1:8123/x"
    assert service_name(BASE, "a") != service_name(BASE, "b")


def test_keyring_round_trip(memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    secrets = KeyringSecrets(SERVICE)
    secrets.set(REFRESH_TOKEN, "rt-1")
    secrets.set(CLIENT_SECRET, "cs-1")
    assert memory_keyring.entries == {
        (SERVICE, REFRESH_TOKEN): "rt-1",
        (SERVICE, CLIENT_SECRET): "cs-1",
    }
    assert secrets.get(REFRESH_TOKEN) == "rt-1"
    secrets.delete(REFRESH_TOKEN)
    secrets.delete(REFRESH_TOKEN)  # deleting twice is fine
    assert secrets.get(REFRESH_TOKEN) is None


class PlaintextKeyring(MemoryKeyring):
    """Stands in for keyrings.alt.file.PlaintextKeyring (not installed here)."""


@pytest.mark.parametrize(
    "backend",
    [keyring.backends.fail.Keyring(), keyring.backends.null.Keyring(), PlaintextKeyring()],
    ids=["fail", "null", "plaintext"],
)
def test_insecure_backends_are_refused_with_a_choice(backend: object) -> None:
    assert not keyring_is_secure(backend)  # type: ignore[arg-type]
    secrets = KeyringSecrets(SERVICE, backend=backend)  # type: ignore[arg-type]
    with pytest.raises(NoSecureKeyring) as caught:
        secrets.set(REFRESH_TOKEN, "rt")
    message = str(caught.value)
    assert ENV_REFRESH_TOKEN in message and "--encrypted-file" in message
    assert "plain text" in message
    if isinstance(backend, PlaintextKeyring):
        assert backend.entries == {}  # nothing was written anyway


def test_size_limit_is_checked_before_writing(memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    secrets = KeyringSecrets(SERVICE)
    secrets.set(REFRESH_TOKEN, "x" * MAX_SECRET_BYTES)
    with pytest.raises(SecretTooLarge, match=ENV_REFRESH_TOKEN):
        secrets.set(REFRESH_TOKEN, "x" * (MAX_SECRET_BYTES + 1))
    assert memory_keyring.entries[(SERVICE, REFRESH_TOKEN)] == "x" * MAX_SECRET_BYTES


def test_windows_counts_utf16_bytes() -> None:
    class WinVaultKeyring(MemoryKeyring):
        pass

    WinVaultKeyring.__module__ = "keyring.backends.Windows"
    check_secret_size(REFRESH_TOKEN, "x" * 1280, WinVaultKeyring())
    with pytest.raises(SecretTooLarge):
        check_secret_size(REFRESH_TOKEN, "x" * 1281, WinVaultKeyring())


def test_env_secrets_are_an_explicit_choice() -> None:
    env = {ENV_REFRESH_TOKEN: "rt-env", ENV_CLIENT_SECRET: "cs-env"}
    secrets = open_secrets(BASE, "desk", environ=env)
    assert isinstance(secrets, EnvSecrets)
    assert secrets.get(REFRESH_TOKEN) == "rt-env"
    assert secrets.get(CLIENT_SECRET) == "cs-env"
    secrets.set(REFRESH_TOKEN, "rotated")  # kept in memory for this process
    assert secrets.get(REFRESH_TOKEN) == "rotated"
    assert env[ENV_REFRESH_TOKEN] == "rt-env"
    assert isinstance(open_secrets(BASE, "desk", environ={}), KeyringSecrets)


def test_encrypted_file_round_trip_and_wrong_passphrase(tmp_path: Path) -> None:
    path = tmp_path / "secrets.enc"
    secrets = open_secrets(BASE, "desk", encrypted_file=path, passphrase="correct horse")
    assert isinstance(secrets, EncryptedFileSecrets)
    secrets.set(REFRESH_TOKEN, "rt-very-secret")
    secrets.set(CLIENT_SECRET, "cs-very-secret")
    raw = path.read_bytes()
    assert b"rt-very-secret" not in raw and b"cs-very-secret" not in raw
    assert path.stat().st_mode & 0o077 == 0
    again = EncryptedFileSecrets(path, "correct horse", service_name(BASE, "desk"))
    assert again.get(REFRESH_TOKEN) == "rt-very-secret"
    other = EncryptedFileSecrets(path, "correct horse", service_name(BASE, "other"))
    assert other.get(REFRESH_TOKEN) is None
    with pytest.raises(WrongPassphrase):
        EncryptedFileSecrets(path, "wrong", service_name(BASE, "desk")).get(REFRESH_TOKEN)
    again.delete(REFRESH_TOKEN)
    assert secrets.get(REFRESH_TOKEN) is None
    assert secrets.get(CLIENT_SECRET) == "cs-very-secret"


def test_token_store_keeps_only_the_refresh_token(memory_keyring: MemoryKeyring) -> None:  # noqa: F811
    store = KeyringTokenStore(KeyringSecrets(SERVICE))
    assert store.load() is None
    store.save(TokenSet("access-1", expires_at=9e9, refresh_token="rt-1", scope="monitoring"))
    assert list(memory_keyring.entries.values()) == ["rt-1"]
    assert store.load().access_token == "access-1"  # type: ignore[union-attr]
    # same refresh token: no keyring write per save
    store.save(TokenSet("access-2", expires_at=9e9, refresh_token="rt-1"))
    assert len(memory_keyring.writes) == 1


def test_token_store_reload_sees_another_process_rotation(
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    mine = KeyringTokenStore(KeyringSecrets(SERVICE))
    theirs = KeyringTokenStore(KeyringSecrets(SERVICE))
    mine.save(TokenSet("a1", expires_at=9e9, refresh_token="rt-1"))
    assert theirs.load().refresh_token == "rt-1"  # type: ignore[union-attr]
    theirs.save(TokenSet("a2", expires_at=9e9, refresh_token="rt-2"))
    assert mine.load().refresh_token == "rt-1"  # type: ignore[union-attr]  # cached
    reloaded = mine.reload()
    assert reloaded is not None and reloaded.refresh_token == "rt-2"
    assert not reloaded.fresh(0)  # our access token is not known to pair with rt-2
    mine.clear()
    assert memory_keyring.entries == {}


def test_tokenset_repr_hides_tokens() -> None:
    text = repr(TokenSet("acc-xyz", expires_at=1.0, refresh_token="ref-xyz"))
    assert "acc-xyz" not in text and "ref-xyz" not in text


def test_real_keyring_backend_when_there_is_one() -> None:
    backend = keyring.get_keyring()
    if not keyring_is_secure(backend):
        with pytest.raises(NoSecureKeyring):
            KeyringSecrets("NinjaDesk/test.invalid/probe").get(REFRESH_TOKEN)
        pytest.skip(
            f"reason: no secure keyring on this machine ({type(backend).__module__}); "
            "checked that it is refused instead"
        )
    secrets = KeyringSecrets("NinjaDesk/test.invalid/probe")
    try:
        secrets.set(REFRESH_TOKEN, "probe-value")
        assert secrets.get(REFRESH_TOKEN) == "probe-value"
    finally:
        secrets.delete(REFRESH_TOKEN)
    assert secrets.get(REFRESH_TOKEN) is None
