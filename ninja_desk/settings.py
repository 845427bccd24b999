"""User settings that are not secrets (settings.json in the data dir); the sentences about
environment variables NinjaDesk could not use join them.

Secrets (tokens, client secrets, relay tokens) never go in the file: they live in the OS
keyring. `save` refuses any field whose name looks like a secret, so a careless addition fails
loudly.

`load` checks every value with pydantic in strict mode against the field's annotation (ranges
are `Field(ge=, le=)` in the annotation): a hand-edited or half-migrated file with one
wrong-shaped value gives one sentence naming that key and keeps the default for it, and every
other key still loads. Keys this version does not know (written by a newer one) are kept and
written back by `save`, never a crash. `Environment` (ninja_desk/environment.py) declares
every `NINJA_DESK_*` variable with its type and default; a bad value is one sentence naming the
variable and the rest still apply. `load` adds those sentences to `load_problems`, which the
desktop shows once.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from functools import cache
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin, get_type_hints

from pydantic import Field, TypeAdapter, ValidationError

# The environment table lives a layer lower (ninja_desk/environment.py) so that paths and the
# NinjaOne and PSA packages read it too; these names stay importable from here.
from ninja_desk.environment import (
    ENV_PREFIX,
    Environment,
    environment,
    load_environment,
    unknown_environment,
)
from ninja_desk.paths import config_file

__all__ = [
    "ENV_PREFIX",
    "Environment",
    "Settings",
    "environment",
    "load_environment",
    "unknown_environment",
]

log = logging.getLogger(__name__)

_SECRET_WORDS = ("secret", "token", "password", "passphrase")


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
