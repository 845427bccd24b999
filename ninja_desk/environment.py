"""The one table of NINJA_DESK_* environment variables, and the one place that reads them.

Every module that honours a variable asks `environment()` for the typed `Environment` instead
of reading `os.environ`: the names, types and defaults are declared once, a bad value is one
sentence (`load_environment`) instead of a crash where it is used, and secrets stay `SecretStr`
until the code that sends them unwraps them (`reveal`), so logging the table shows stars.

Where it sits: below `paths` and the NinjaOne/cache/PSA packages (the import-linter layers in
pyproject.toml), because those read variables too (the data dir, the client secret and
passphrase, the Alga Redis password) and `settings` sits above them. It needs pydantic, which
`core` may not import, so it is a layer of its own between `core` and `paths`.

When it is read: the table is a function of the NINJA_DESK_* variables, cached per distinct
set of them. A variable set during the process (`ninja-desk demo` handing the simulator's
secret and relay token to the desktop it starts, `--data-dir` exported by `cli/main.py`, a test
with `monkeypatch.setenv`) is seen by the next read, while the usual read is a scan of
`os.environ` and a cache hit. Code with its own idea of the environment (tests, the demo's
webhook registration) passes a mapping, or a ready `Environment`, wherever a function takes
`environ=`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, SecretStr, ValidationError

ENV_PREFIX = "NINJA_DESK_"
# The relay server's own table (relay/settings.py, NINJA_DESK_RELAY_PORT, …): not read here.
_RELAY_PREFIX = "NINJA_DESK_RELAY_"


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class Environment(BaseModel):
    """Every NINJA_DESK_* environment variable, its type and default (None: not set).

    The secrets are SecretStr, so printing this object or logging it shows `**********`.
    Build it with `environment()` / `load_environment()`, never `Environment()` directly: that
    is the table of an empty environment.
    """

    model_config = ConfigDict(extra="ignore", frozen=True)

    data_dir: Path | None = None  # instead of the platform's user data dir (also --data-dir)
    log_dir: Path | None = None  # instead of the platform's user log dir
    theme: Annotated[Literal["dark", "light"] | None, BeforeValidator(_lower)] = None
    client_secret: SecretStr | None = None  # NinjaOne API client secret (headless, CI)
    refresh_token: SecretStr | None = None  # a NinjaOne refresh token for a headless agent
    webhook_secret: SecretStr | None = None  # the relay endpoint's secret header value
    relay_token: SecretStr | None = None  # this desktop's or agent's relay subscriber token
    passphrase: SecretStr | None = None  # of an --encrypted-file credentials file
    token_passphrase: SecretStr | None = None  # older name of NINJA_DESK_PASSPHRASE
    encrypted_file: Path | None = None  # the credentials file itself
    alga_api_key: SecretStr | None = None  # the Alga PSA API key this desktop acts with
    alga_redis_password: SecretStr | None = None  # Alga's Redis event bus
    relay_db: str | None = None  # the relay's database URL (ninja-desk-relay)

    @property
    def file_passphrase(self) -> SecretStr | None:
        """The encrypted file's passphrase: NINJA_DESK_PASSPHRASE, else its older name."""
        return self.passphrase or self.token_passphrase


def variable(name: str) -> str:
    """The variable behind field `name` of the table: "relay_token" → NINJA_DESK_RELAY_TOKEN."""
    if name not in Environment.model_fields:
        raise KeyError(name)
    return f"{ENV_PREFIX}{name.upper()}"


def reveal(secret: SecretStr | None) -> str | None:
    """A secret's text, for the one call that sends it; None when it is not set."""
    return None if secret is None else secret.get_secret_value()


EnvironmentSource = Mapping[str, str] | Environment


def _values(environ: Mapping[str, str]) -> dict[str, str]:
    """The table's fields as `environ` sets them. Names match in any case, as they do on
    Windows; a value that is empty or only spaces counts as not set (`VAR= cmd` clears it)."""
    wanted = {variable(name): name for name in Environment.model_fields}
    values: dict[str, str] = {}
    for key, value in environ.items():
        name = wanted.get(key.upper())
        if name is not None and value.strip():
            values[name] = value
    return values


def load_environment(environ: Mapping[str, str] | None = None) -> tuple[Environment, list[str]]:
    """The table of `environ` (default: this process's); a variable with a bad value is left
    out, with a sentence naming it. Never raises for a value."""
    values = _values(os.environ if environ is None else environ)
    problems: list[str] = []
    while True:
        try:
            return Environment.model_validate(values), problems
        except ValidationError as exc:
            bad = {
                str(error["loc"][0]): error["msg"]
                for error in exc.errors()
                if error["loc"] and error["loc"][0] in values
            }
            if not bad:
                raise
            for name, why in bad.items():
                del values[name]
                # The value is not quoted: it may be a secret set in the wrong variable.
                problems.append(
                    f"Environment variable {variable(name)} is ignored: {why[0].lower()}{why[1:]}."
                )


@lru_cache(maxsize=8)
def _cached(items: tuple[tuple[str, str], ...]) -> Environment:
    return load_environment(dict(items))[0]


def environment(environ: EnvironmentSource | None = None) -> Environment:
    """The table: of this process (default), of a mapping (a test's, the demo's), or `environ`
    itself when it already is one. Bad values are left out; `load_environment` words them."""
    if isinstance(environ, Environment):
        return environ
    if environ is not None:
        return load_environment(environ)[0]
    # Keyed by the NINJA_DESK_* variables as they are now, so a variable set meanwhile is read.
    items = tuple(sorted((k, v) for k, v in os.environ.items() if k.upper().startswith(ENV_PREFIX)))
    return _cached(items)


def unknown_environment(environ: Mapping[str, str] | None = None) -> list[str]:
    """NINJA_DESK_* variables nobody reads: most likely a misspelt name."""
    env = os.environ if environ is None else environ
    known = {variable(name) for name in Environment.model_fields}
    # Read by others than the app: the test suite's PostgreSQL server (tests/psa) and
    # scripts/bootstrap.sh's switch for machines without Qt.
    known.update({"NINJA_DESK_TEST_PG", "NINJA_DESK_SKIP_QT_CHECK"})
    return sorted(
        k
        for k in env
        if k.upper().startswith(ENV_PREFIX)
        and k.upper() not in known
        and not k.upper().startswith(_RELAY_PREFIX)
    )
