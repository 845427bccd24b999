"""User settings that are not secrets, stored as JSON in the data dir.

Secrets (tokens, client secrets, relay tokens) never go here: they live in the OS keyring.
`save` refuses any field whose name looks like a secret, so a careless addition fails loudly.

`load` checks every value against the field's type (and a range for numbers): a hand-edited or
half-migrated file with one wrong-shaped value logs one sentence naming that key and keeps the
default for it, and every other key still loads. A dozen flat fields do not need pydantic or
msgspec: the dataclass annotations already say what each key holds, and the checker below reads
them, so a new field is validated without extra code (a new kind of type fails loudly in tests).
"""

from __future__ import annotations

import json
import logging
import os
import types
from dataclasses import MISSING, asdict, dataclass, field, fields
from pathlib import Path
from typing import Any, Union, get_args, get_origin, get_type_hints

from ninja_desk.paths import config_file

log = logging.getLogger(__name__)

_SECRET_WORDS = ("secret", "token", "password", "passphrase")
# Inclusive bounds for numeric settings; anything outside falls back to the default.
_RANGES: dict[str, tuple[int, int]] = {
    "sync_interval_minutes": (1, 7 * 24 * 60),
    "stale_after_days": (1, 365),
}


@dataclass(slots=True)
class Settings:
    region: str = "app"
    custom_base_url: str | None = None  # simulator or branded host
    client_id: str | None = None
    scopes: list[str] = field(
        default_factory=lambda: ["monitoring", "management", "control", "offline_access"]
    )
    auto_sync: bool = True
    sync_interval_minutes: int = 15
    psa_url: str | None = None
    psa_tenant: str | None = None
    relay_url: str | None = None  # base address: desktops stream from <relay_url>/events
    relay_endpoint: str = "ninjaone"  # NinjaOne posts to <relay_url>/hooks/<relay_endpoint>
    webhook_registered: bool = False
    keep_running_in_tray: bool = True
    notifications_paused: bool = False
    stale_after_days: int = 30
    first_run_done: bool = False
    demo: bool = False

    # Problems found by the last `load` (one sentence each); never saved.
    load_problems: list[str] = field(default_factory=list, repr=False, compare=False)

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        path = config_file(data_dir)
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
        return cls(**values, load_problems=problems)

    def save(self, data_dir: str | os.PathLike[str] | None = None) -> Path:
        values = asdict(self)
        values.pop("load_problems")
        leaked = [k for k in values if any(word in k.lower() for word in _SECRET_WORDS)]
        if leaked:
            raise ValueError(f"settings must not hold secrets: {leaked}")
        path = config_file(data_dir)
        tmp = Path(f"{path}.tmp")
        tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)  # atomic: a crash never leaves half a settings file
        return path


_NOT_SAVED = {"load_problems"}


def _validated(raw: dict[str, Any], path: Path) -> tuple[dict[str, Any], list[str]]:
    """The known keys of `raw` whose values fit their field; a sentence for each that does not."""
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    problems: list[str] = []
    for f in fields(Settings):
        if f.name in _NOT_SAVED or f.name not in raw:
            continue
        value = raw[f.name]
        low, high = _RANGES.get(f.name, (None, None))
        fits = _fits(value, hints[f.name]) and (low is None or high is None or low <= value <= high)
        if fits:
            values[f.name] = value
            continue
        expected = _describe(hints[f.name])
        if low is not None:
            expected += f" from {low} to {high}"
        default = f.default if f.default is not MISSING else f.default_factory()  # type: ignore[misc]
        # The bad value itself is not quoted: a secret pasted into the wrong key must not reach
        # the log; its kind is enough to find it.
        problems.append(
            f"Setting '{f.name}' in {path} must be {expected}, not {_kind(value)}; "
            f"using the default ({json.dumps(default)})."
        )
    return values, problems


def _fits(value: object, hint: Any) -> bool:
    if hint is bool:
        return isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if hint is str:
        return isinstance(value, str)
    if hint is type(None):
        return value is None
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        return any(_fits(value, arg) for arg in get_args(hint))
    if origin is list:
        (item,) = get_args(hint)
        return isinstance(value, list) and all(_fits(v, item) for v in value)
    raise TypeError(f"settings.py cannot check values of type {hint!r}; teach _fits")


def _describe(hint: Any) -> str:
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
