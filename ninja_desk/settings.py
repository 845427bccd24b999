"""User settings that are not secrets, stored as JSON in the data dir.

Secrets (tokens, client secrets, relay tokens) never go here: they live in the OS keyring.
`save` refuses any field whose name looks like a secret, so a careless addition fails loudly.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from ninja_desk.paths import config_file

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

    @classmethod
    def load(cls, data_dir: str | os.PathLike[str] | None = None) -> Settings:
        path = config_file(data_dir)
        if not path.exists():
            return cls()
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            log.warning("Settings file %s is unreadable (%s); using defaults.", path, exc)
            return cls()
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in raw.items() if k in known})

    def save(self, data_dir: str | os.PathLike[str] | None = None) -> Path:
        values = asdict(self)
        leaked = [k for k in values if any(word in k.lower() for word in _SECRET_WORDS)]
        if leaked:
            raise ValueError(f"settings must not hold secrets: {leaked}")
        path = config_file(data_dir)
        tmp = Path(f"{path}.tmp")
        tmp.write_text(json.dumps(values, indent=2, sort_keys=True), encoding="utf-8")
        os.chmod(tmp, 0o600)
        tmp.replace(path)  # atomic: a crash never leaves half a settings file
        return path
