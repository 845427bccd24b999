"""Where NinjaOne secrets live: the OS keyring, or an explicit fallback the user chose.

Only the refresh token and (for "Web" and "API Services" apps) the client secret are kept.
Access tokens live in memory: they last an hour, and Windows Credential Manager holds about
2.5 KB per secret, so storing the whole token response would not fit anyway.

A machine without a secure keyring (keyring's `fail`/`null` backends, keyrings.alt's
plaintext file) is refused with `NoSecureKeyring`, never silently downgraded. Its message
offers the two explicit alternatives: environment variables, or a passphrase-encrypted file.
"""

from __future__ import annotations

import base64
import json
import logging
import os
import secrets as _secrets
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import keyring
import keyring.errors
from keyring.backend import KeyringBackend
from pydantic import SecretStr

from ninja_desk.environment import Environment, EnvironmentSource, environment, reveal, variable
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.tokens import TokenSet

log = logging.getLogger(__name__)

SERVICE_PREFIX = "NinjaDesk"
REFRESH_TOKEN = "refresh_token"
CLIENT_SECRET = "client_secret"
WEBHOOK_SECRET = "webhook_secret"  # the relay endpoint's X-NinjaDesk-Secret
# The variables' names, for sentences; their values come from the environment table
# (ninja_desk/environment.py), never from os.environ here.
ENV_REFRESH_TOKEN = variable("refresh_token")
ENV_CLIENT_SECRET = variable("client_secret")
ENV_WEBHOOK_SECRET = variable("webhook_secret")
# The passphrase of an --encrypted-file (the second name is an older alias), and where a
# headless process finds that file when no --encrypted-file option is given.
ENV_PASSPHRASE = variable("passphrase")
ENV_PASSPHRASE_ALIASES = (ENV_PASSPHRASE, variable("token_passphrase"))
ENV_ENCRYPTED_FILE = variable("encrypted_file")
# The variable that can stand in for a keyring entry, by its key (for sentences). The relay
# token and the Alga API key are keyring entries of other services with variables of their own.
_ENV_NAMES = {
    REFRESH_TOKEN: ENV_REFRESH_TOKEN,
    CLIENT_SECRET: ENV_CLIENT_SECRET,
    WEBHOOK_SECRET: ENV_WEBHOOK_SECRET,
    "relay_token": variable("relay_token"),
    "api_key": variable("alga_api_key"),
}


def _env_secret(env: Environment, key: str) -> SecretStr | None:
    """The table's value for a secret-store key (refresh token, client or webhook secret)."""
    if key == REFRESH_TOKEN:
        return env.refresh_token
    if key == CLIENT_SECRET:
        return env.client_secret
    if key == WEBHOOK_SECRET:
        return env.webhook_secret
    return None


# Windows Credential Manager: CRED_MAX_CREDENTIAL_BLOB_SIZE = 5 * 512 bytes, and keyring's
# Windows backend writes UTF-16, so that is 1280 characters there. Elsewhere we still cap at
# 2560 bytes so a profile that works on one OS works on the others.
MAX_SECRET_BYTES = 2560

_INSECURE_BACKENDS = {
    "keyring.backends.fail.Keyring",
    "keyring.backends.null.Keyring",
    "keyrings.alt.file.PlaintextKeyring",
    "keyrings.alt.Windows.EncryptedKeyring",  # not encrypted at rest beyond the user profile
}


class CredentialsError(NinjaOneError):
    """Base for secret-storage failures; the message says what the user can do."""


def keyring_in_words(backend_name: str) -> str:
    """What the keyring behind `backend_name` (a Python class path) is, in words."""
    lowered = backend_name.lower()
    if lowered.startswith(("keyring.backends.fail.", "keyring.backends.null.")):
        return "no secure keyring on this machine"
    if "plaintext" in lowered or backend_name in _INSECURE_BACKENDS:
        return "only a keyring that keeps secrets in a plain file"
    return "the system keyring"


class NoSecureKeyring(CredentialsError):
    def __init__(self, backend_name: str) -> None:
        words = keyring_in_words(backend_name)
        found = "" if words.startswith("no secure") else f" ({words})"
        super().__init__(
            f"No secure keyring is available on this machine{found}, "
            "and NinjaDesk will not store NinjaOne credentials in plain text. Either set "
            f"{ENV_REFRESH_TOKEN} (and {ENV_CLIENT_SECRET} for Web or API Services apps) in the "
            "environment, or sign in with --encrypted-file PATH to keep them in a file "
            "protected by a passphrase."
        )
        self.backend_name = backend_name


class SecretTooLarge(CredentialsError):
    pass


class KeyringUnavailable(CredentialsError):
    """The keyring exists but refused the operation (locked, D-Bus down, access denied)."""


class WrongPassphrase(CredentialsError):
    pass


def service_name(base_url: str, client_id: str) -> str:
    """One keyring service per integration: `NinjaDesk/<host>/<client_id>`."""
    host = urlsplit(base_url).netloc or base_url
    return f"{SERVICE_PREFIX}/{host}/{client_id}"


def backend_name(backend: KeyringBackend | None = None) -> str:
    backend = backend or keyring.get_keyring()
    return f"{type(backend).__module__}.{type(backend).__qualname__}"


def keyring_is_secure(backend: KeyringBackend | None = None) -> bool:
    backend = backend or keyring.get_keyring()
    inner = getattr(backend, "backends", None)  # the chainer: secure if any member is
    if isinstance(inner, list | tuple) and type(backend).__name__ == "ChainerBackend":
        return any(keyring_is_secure(b) for b in inner)
    name = backend_name(backend)
    if name in _INSECURE_BACKENDS or "plaintext" in name.lower():
        return False
    try:
        return float(backend.priority) > 0  # fail.Keyring is 0, null.Keyring is -1
    except Exception:
        return True


def check_secret_size(key: str, value: str, backend: KeyringBackend | None = None) -> None:
    windows = "Windows" in backend_name(backend) if backend is not None else os.name == "nt"
    size = len(value.encode("utf-16-le" if windows else "utf-8"))
    if size > MAX_SECRET_BYTES:
        raise SecretTooLarge(
            f"The NinjaOne {key.replace('_', ' ')} is {size} bytes, more than the "
            f"{MAX_SECRET_BYTES} bytes the system keyring can hold. Set "
            f"{_ENV_NAMES.get(key, 'it')} in the environment or use --encrypted-file instead."
        )


class SecretBackend(Protocol):
    def get(self, key: str) -> str | None: ...
    def set(self, key: str, value: str) -> None: ...
    def delete(self, key: str) -> None: ...


class KeyringSecrets:
    """Secrets of one integration in the OS keyring."""

    def __init__(self, service: str, backend: KeyringBackend | None = None) -> None:
        self.service = service
        self._backend = backend

    @property
    def backend(self) -> KeyringBackend:
        backend = self._backend or keyring.get_keyring()
        if not keyring_is_secure(backend):
            raise NoSecureKeyring(backend_name(backend))
        return backend

    def get(self, key: str) -> str | None:
        backend = self.backend
        try:
            return backend.get_password(self.service, key)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The system keyring could not be read ({type(exc).__name__}). Unlock it "
                "and try again."
            ) from None

    def set(self, key: str, value: str) -> None:
        backend = self.backend
        check_secret_size(key, value, backend)
        try:
            backend.set_password(self.service, key, value)
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The system keyring refused to store the NinjaOne {key.replace('_', ' ')} "
                f"({type(exc).__name__}). Unlock it and try again."
            ) from None

    def delete(self, key: str) -> None:
        backend = self.backend
        try:
            backend.delete_password(self.service, key)
        except keyring.errors.PasswordDeleteError:
            pass  # nothing stored: already the state we want
        except keyring.errors.KeyringError as exc:
            raise KeyringUnavailable(
                f"The system keyring refused to delete a NinjaOne secret ({type(exc).__name__})."
            ) from None


class EnvSecrets:
    """Secrets from NINJA_DESK_REFRESH_TOKEN / NINJA_DESK_CLIENT_SECRET (headless machines).

    The environment cannot be written back, so a rotated refresh token is kept in memory for
    the life of the process; the next process starts from the variable again. That only works
    while NinjaOne does not rotate (or for client_credentials); the encrypted file does not
    have this limit.
    """

    def __init__(self, environ: EnvironmentSource | None = None) -> None:
        # None: the process's table, read at each get (cached in ninja_desk.environment).
        self._environ = environ
        self._overrides: dict[str, str | None] = {}
        self._warned = False

    def _from_env(self, key: str) -> str | None:
        return reveal(_env_secret(environment(self._environ), key))

    def get(self, key: str) -> str | None:
        if key in self._overrides:
            return self._overrides[key]
        return self._from_env(key)

    def set(self, key: str, value: str) -> None:
        if key == REFRESH_TOKEN and value != self._from_env(REFRESH_TOKEN) and not self._warned:
            self._warned = True
            log.warning(
                "NinjaOne issued a new refresh token; it is kept in memory only because %s "
                "cannot be updated. Use a keyring or --encrypted-file to keep it across runs.",
                ENV_REFRESH_TOKEN,
            )
        self._overrides[key] = value

    def delete(self, key: str) -> None:
        self._overrides[key] = None


class EncryptedFileSecrets:
    """Secrets in one file encrypted with Fernet, its key derived from a passphrase by scrypt.

    One file can hold several integrations; entries are keyed by the keyring service name.
    """

    _N, _R, _P = 2**15, 8, 1

    def __init__(self, path: str | os.PathLike[str], passphrase: str, service: str) -> None:
        if not passphrase:
            raise WrongPassphrase("An encrypted credentials file needs a non-empty passphrase.")
        self.path = Path(path)
        self.service = service
        self._passphrase = passphrase.encode("utf-8")
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"EncryptedFileSecrets(path={str(self.path)!r}, service={self.service!r})"

    def _fernet(self, salt: bytes):
        from cryptography.fernet import Fernet
        from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

        key = Scrypt(salt=salt, length=32, n=self._N, r=self._R, p=self._P).derive(self._passphrase)
        return Fernet(base64.urlsafe_b64encode(key))

    def _read(self) -> tuple[bytes, dict[str, dict[str, str]]]:
        from cryptography.fernet import InvalidToken

        if not self.path.exists():
            return _secrets.token_bytes(16), {}
        try:
            envelope = json.loads(self.path.read_text(encoding="utf-8"))
            salt = base64.b64decode(envelope["salt"])
            plain = self._fernet(salt).decrypt(envelope["data"].encode("ascii"))
        except InvalidToken:
            raise WrongPassphrase(
                f"The passphrase does not open {self.path}. Try again, or delete the file and "
                "sign in again."
            ) from None
        except (OSError, ValueError, KeyError) as exc:
            raise CredentialsError(
                f"The encrypted credentials file {self.path} is unreadable "
                f"({type(exc).__name__}). Delete it and sign in again."
            ) from None
        return salt, json.loads(plain)

    def _write(self, salt: bytes, entries: dict[str, dict[str, str]]) -> None:
        token = self._fernet(salt).encrypt(json.dumps(entries).encode("utf-8"))
        envelope = {
            "format": "ninja-desk-secrets/1",
            "kdf": {"name": "scrypt", "n": self._N, "r": self._R, "p": self._P},
            "salt": base64.b64encode(salt).decode("ascii"),
            "data": token.decode("ascii"),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(self.path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(envelope, handle)
        tmp.replace(self.path)

    def get(self, key: str) -> str | None:
        with self._lock:
            _, entries = self._read()
        return entries.get(self.service, {}).get(key)

    def set(self, key: str, value: str) -> None:
        with self._lock:
            salt, entries = self._read()
            entries.setdefault(self.service, {})[key] = value
            self._write(salt, entries)

    def delete(self, key: str) -> None:
        with self._lock:
            salt, entries = self._read()
            if entries.get(self.service, {}).pop(key, None) is not None:
                if not entries[self.service]:
                    del entries[self.service]
                self._write(salt, entries)


def open_secrets(
    base_url: str,
    client_id: str,
    *,
    encrypted_file: str | os.PathLike[str] | None = None,
    passphrase: str | None = None,
    environ: EnvironmentSource | None = None,
) -> SecretBackend:
    """The store the user chose: encrypted file if given, env vars if set, else the keyring."""
    if encrypted_file is not None:
        return EncryptedFileSecrets(
            encrypted_file, passphrase or "", service_name(base_url, client_id)
        )
    env = environment(environ)
    if env.refresh_token or env.client_secret:
        return EnvSecrets(env)  # the table this choice was made on
    return KeyringSecrets(service_name(base_url, client_id))


def keyring_token_store(
    base_url: str, client_id: str, secrets: SecretBackend | None = None
) -> KeyringTokenStore:
    """The token store for one integration; raises CredentialsError now, not mid-sync."""
    store = KeyringTokenStore(secrets or open_secrets(base_url, client_id))
    store.reload()
    return store


def stored_client_secret(
    base_url: str, client_id: str, *, environ: EnvironmentSource | None = None
) -> str | None:
    """The client secret of a "Web" or "API Services" app (env var first, then the store)."""
    from_env = reveal(environment(environ).client_secret)
    return from_env or open_secrets(base_url, client_id, environ=environ).get(CLIENT_SECRET)


class KeyringTokenStore:
    """`TokenStore` keeping the refresh token in a SecretBackend and the access token in memory.

    `load()` answers from memory (it runs on every API call); `reload()` re-reads the backend,
    which the token provider does under the cross-process lock because another process may
    have rotated the refresh token meanwhile.
    """

    def __init__(self, secrets: SecretBackend) -> None:
        self.secrets = secrets
        self._tokens: TokenSet | None = None
        self._persisted: str | None = None
        self._loaded = False

    def load(self) -> TokenSet | None:
        if not self._loaded:
            return self.reload()
        return self._tokens

    def reload(self) -> TokenSet | None:
        refresh = self.secrets.get(REFRESH_TOKEN)
        self._loaded = True
        self._persisted = refresh
        current = self._tokens
        if refresh is None:
            # Nothing persisted; an access-only session (client_credentials) stays in memory.
            if current is not None and current.refresh_token is None:
                return current
            self._tokens = None
            return None
        if current is not None and current.refresh_token == refresh:
            return current
        # First start, or another process rotated it: no access token is known to go with
        # this refresh token, so the provider will refresh.
        self._tokens = TokenSet(access_token="", expires_at=0.0, refresh_token=refresh)
        return self._tokens

    def save(self, tokens: TokenSet) -> None:
        if tokens.refresh_token and tokens.refresh_token != self._persisted:
            self.secrets.set(REFRESH_TOKEN, tokens.refresh_token)  # before anyone uses it
            self._persisted = tokens.refresh_token
        self._tokens = tokens
        self._loaded = True

    def clear(self) -> None:
        self.secrets.delete(REFRESH_TOKEN)
        self._tokens = None
        self._persisted = None
        self._loaded = True


def encrypted_file_passphrase(
    path: str | os.PathLike[str],
    *,
    environ: EnvironmentSource | None = None,
    prompt: Callable[[str], str] | None = None,
    interactive: bool | None = None,
) -> str:
    """The passphrase of an encrypted credentials file: the environment, else a hidden prompt
    when a person is at a terminal, else a sentence saying which variable to set."""
    from_env = reveal(environment(environ).file_passphrase)
    if from_env:
        return from_env
    if interactive is None:
        interactive = sys.stdin is not None and sys.stdin.isatty()
    if not interactive:
        raise WrongPassphrase(
            f"The sign-in in {path} is protected by a passphrase: set {ENV_PASSPHRASE} in the "
            "environment of this process."
        )
    if prompt is None:
        import getpass

        prompt = getpass.getpass
    passphrase = prompt(f"Passphrase for {path}: ")
    if not passphrase:
        raise WrongPassphrase("An encrypted credentials file needs a non-empty passphrase.")
    return passphrase


def saved_credentials(
    base_url: str,
    client_id: str,
    *,
    encrypted_file: str | os.PathLike[str] | None = None,
    environ: EnvironmentSource | None = None,
    prompt: Callable[[str], str] | None = None,
    interactive: bool | None = None,
) -> tuple[str | None, KeyringTokenStore | None]:
    """(client secret, token store) of the sign-in this machine saved, for sync and the agent.

    Looks where `ninja-desk login` may have put it: NINJA_DESK_CLIENT_SECRET, an encrypted file
    (`encrypted_file`, else NINJA_DESK_ENCRYPTED_FILE), else the system keyring. The store is
    None when no refresh token is saved; both None means "not signed in". Raises
    CredentialsError (one sentence) for a wrong passphrase, an unreadable file or no keyring.
    """
    env = environment(environ)  # one table for the whole lookup
    path = encrypted_file or env.encrypted_file
    env_secret = reveal(env.client_secret)
    if path is not None:
        if not Path(path).exists():
            raise CredentialsError(
                f"There is no credentials file at {path}: sign in first with "
                f"'ninja-desk login --encrypted-file {path}'."
            )
        secrets: SecretBackend = EncryptedFileSecrets(
            path,
            encrypted_file_passphrase(path, environ=env, prompt=prompt, interactive=interactive),
            service_name(base_url, client_id),
        )
    elif env_secret:
        return env_secret, None  # client_credentials from the environment: nothing stored
    else:
        secrets = KeyringSecrets(service_name(base_url, client_id))
    store = KeyringTokenStore(secrets)
    tokens = store.reload()  # a wrong passphrase or a missing keyring fails here, now
    secret = env_secret or secrets.get(CLIENT_SECRET)
    if path is not None and tokens is None and secret is None:
        raise CredentialsError(
            f"{path} holds no NinjaOne sign-in for app {client_id} at "
            f"{urlsplit(base_url).netloc or base_url}: sign in with 'ninja-desk login "
            f"--encrypted-file {path}' (same --client-id and address)."
        )
    return secret, (store if tokens is not None else None)
