"""User settings that are not secrets (settings.json in the data dir), and the one table of
environment variables the desktop, the agent and the CLI read.

Secrets (tokens, client secrets, relay tokens) never go in the file: they live in the OS
keyring. `save` refuses any field whose name looks like a secret, so a careless addition fails
loudly.

`load` checks every value with pydantic in strict mode against the field's annotation (ranges
are `Field(ge=, le=)` in the annotation): a hand-edited or half-migrated file with one
wrong-shaped value gives one sentence naming that key and keeps the default for it, and every
other key still loads. Keys this version does not know (written by a newer one) are kept and
written back by `save`, never a crash. `Environment` declares every `NINJA_DESK_*` variable
with its type and default (pydantic-settings); a bad value is one sentence naming the variable
and the rest still apply. Those sentences are `load_problems`, which the desktop shows once.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal, get_args, get_origin, get_type_hints

from pydantic import BeforeValidator, Field, SecretStr, TypeAdapter, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ninja_desk.paths import config_file

log = logging.getLogger(__name__)

_SECRET_WORDS = ("secret", "token", "password", "passphrase")
ENV_PREFIX = "NINJA_DESK_"


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


class Environment(BaseSettings):
    """Every NINJA_DESK_* environment variable, its type and default (None: not set).

    The secrets are SecretStr, so printing this object or logging it shows `**********`.
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_ignore_empty=True, extra="ignore", frozen=True
    )

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


def load_environment() -> tuple[Environment, list[str]]:
    """The environment table; a variable with a bad value is left out, with a sentence."""
    overrides: dict[str, Any] = {}
    problems: list[str] = []
    while True:
        try:
            return Environment(**overrides), problems
        except ValidationError as exc:
            bad = {str(error["loc"][0]): error["msg"] for error in exc.errors() if error["loc"]}
            if not bad or bad.keys() <= overrides.keys():
                raise
            for name, why in bad.items():
                overrides[name] = Environment.model_fields[name].default
                # The value is not quoted: it may be a secret set in the wrong variable.
                problems.append(
                    f"Environment variable {ENV_PREFIX}{name.upper()} is ignored: "
                    f"{why[0].lower()}{why[1:]}."
                )


def unknown_environment(environ: dict[str, str] | None = None) -> list[str]:
    """NINJA_DESK_* variables nobody reads: most likely a misspelt name."""
    env = os.environ if environ is None else environ
    known = {f"{ENV_PREFIX}{name.upper()}" for name in Environment.model_fields}
    # Read by others than the app: the test suite's PostgreSQL server (tests/psa) and
    # scripts/bootstrap.sh's switch for machines without Qt.
    known.update({"NINJA_DESK_TEST_PG", "NINJA_DESK_SKIP_QT_CHECK"})
    return sorted(k for k in env if k.upper().startswith(ENV_PREFIX) and k.upper() not in known)


@dataclass(slots=True)
class Settings:
    region: str = "app"
    custom_base_url: str | None = None  # simulator or branded host
    client_id: str | None = None
    scopes: list[str] = field(
        default_factory=lambda: ["monitoring", "management", "control", "offline_access"]
    )
    auto_sync: bool = True
    sync_interval_minutes: Annotated[int, Field(ge=1, le=7 * 24 * 60)] = 15
    psa_url: str | None = None
    psa_tenant: str | None = None
    relay_url: str | None = None  # base address: desktops stream from <relay_url>/events
    relay_endpoint: str = "ninjaone"  # NinjaOne posts to <relay_url>/hooks/<relay_endpoint>
    webhook_registered: bool = False
    keep_running_in_tray: bool = True
    notifications_paused: bool = False
    stale_after_days: Annotated[int, Field(ge=1, le=365)] = 30
    first_run_done: bool = False
    demo: bool = False

    # Problems found by the last `load` (one sentence each); never saved.
    load_problems: list[str] = field(default_factory=list, repr=False, compare=False)
    # Keys of settings.json this version does not know (a newer version wrote them): saved back.
    unknown_keys: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        settings = cls._from_file(config_file(data_dir))
        _env, env_problems = load_environment()
        settings.load_problems.extend(env_problems)
        for problem in env_problems:
            log.warning("%s", problem)
        for name in unknown_environment():
            log.info("Environment variable %s is not one NinjaDesk reads; check its name.", name)
        return settings

    @classmethod
    def _from_file(cls, path: Path) -> Settings:
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            problem = f"Settings file {path} is unreadable ({type(exc).__name__}); using defaults."
            log.warning("%s", problem)
            return cls(load_problems=[problem])
        if not isinstance(raw, dict):
            problem = f"Settings file {path} does not hold a JSON object; using defaults."
            log.warning("%s", problem)
            return cls(load_problems=[problem])
        values, problems = _validated(raw, path)
        for problem in problems:
            log.warning("%s", problem)
        unknown = {k: v for k, v in raw.items() if k not in _FIELDS or k in _NOT_SAVED}
        return cls(**values, load_problems=problems, unknown_keys=unknown)

    def save(self, data_dir: str | os.PathLike[str] | None = None) -> Path:
        values = {**self.unknown_keys, **asdict(self)}
        for name in _NOT_SAVED:
            values.pop(name)
        leaked = [k for k in values if any(word in k.lower() for word in _SECRET_WORDS)]
        if leaked:
            raise ValueError(f"settings must not hold secrets: {leaked}")
        path = config_file(data_dir)
        tmp = Path(f"{path}.tmp")
        tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)  # atomic: a crash never leaves half a settings file
        return path


_NOT_SAVED = {"load_problems", "unknown_keys"}
_FIELDS = {f.name for f in fields(Settings)}
_DEFAULTS = Settings()


@cache
def _adapter(name: str) -> TypeAdapter[Any]:
    return TypeAdapter(get_type_hints(Settings, include_extras=True)[name])


def _validated(raw: dict[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
    """The known keys of `raw` whose values fit their field; a sentence for each that does not."""
    hints = get_type_hints(Settings, include_extras=True)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(Settings):
        if f.name in _NOT_SAVED or f.name not in raw:
            continue
        value = raw[f.name]
        try:
            # Strict: "15" is not 15 and 1 is not true; a file is read as it was written.
            values[f.name] = _adapter(f.name).validate_python(value, strict=True)
            continue
        except ValidationError:
            pass
        default = getattr(_DEFAULTS, f.name)
        # The bad value itself is not quoted: a secret pasted into the wrong key must not reach
        # the log; its kind is enough to find it.
        problems.append(
            f"Setting '{f.name}' in {path} must be {_describe(hints[f.name])}, "
            f"not {_kind(value)}; using the default ({json.dumps(default)})."
        )
    return values, problems


def _describe(hint: Any) -> str:
    if get_origin(hint) is Annotated:
        base, *metadata = get_args(hint)
        bounds = [m for meta in metadata for m in getattr(meta, "metadata", [meta])]
        low = next((b.ge for b in bounds if getattr(b, "ge", None) is not None), None)
        high = next((b.le for b in bounds if getattr(b, "le", None) is not None), None)
        text = _describe(base)
        return text if low is None or high is None else f"{text} from {low} to {high}"
    if hint is bool:
        return "true or false"
    if hint is int:
        return "a whole number"
    if hint is str:
        return "text"
    if get_origin(hint) is list:
        return "a list of " + _describe(get_args(hint)[0])
    args = [a for a in get_args(hint) if a is not type(None)]
    return " or ".join(_describe(a) for a in args) + " (or null)"


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return f"the number {value}" if isinstance(value, int) else "a decimal number"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__
