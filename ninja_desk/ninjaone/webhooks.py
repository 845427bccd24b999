"""Register NinjaDesk's relay as this API client app's NinjaOne webhook (reference §6.7, §9).

NinjaOne does not sign deliveries; the only way to authenticate them is a custom header it
adds to every POST, so the relay checks `X-NinjaDesk-Secret`. There is one webhook per API
client app and a PUT replaces it, so "re-register" is simply another PUT.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from ninja_desk.core.relay_protocol import SECRET_HEADER
from ninja_desk.environment import EnvironmentSource, environment, reveal
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.errors import NinjaOneError, NinjaOneForbidden

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/webhook"
DEFAULT_EXPAND = ("device", "organization", "location")

_DEVICE_LIFECYCLE = (
    "NODE_CREATED",
    "NODE_UPDATED",
    "NODE_DELETED",
    "NODE_MANUALLY_APPROVED",
    "NODE_AUTOMATICALLY_APPROVED",
    "NODE_MANUALLY_REJECTED",
    "NODE_AUTOMATICALLY_REJECTED",
    "NODE_RE_ENROLLED",
)
_SYSTEM_EVENTS = ("SYSTEM_REBOOTED", "SOFTWARE_ADDED", "SOFTWARE_REMOVED")
_HARDWARE_CHANGES = (
    "CPU_ADDED",
    "CPU_REMOVED",
    "MEMORY_ADDED",
    "MEMORY_REMOVED",
    "DISK_DRIVE_ADDED",
    "DISK_DRIVE_REMOVED",
    "DISK_PARTITION_ADDED",
    "DISK_PARTITION_REMOVED",
    "DISK_VOLUME_ADDED",
    "DISK_VOLUME_REMOVED",
    "RAID_LOGICAL_DISK_ADDED",
    "RAID_LOGICAL_DISK_REMOVED",
)

# Every activity type NinjaDesk acts on: device lifecycle and inventory (cache), conditions
# (alerts, tickets, and how an agent-offline condition reports a device going offline), OS and
# software patches (patch columns) and antivirus (the antivirus-status rows).
DEFAULT_ACTIVITIES: Mapping[str, tuple[str, ...]] = {
    "SYSTEM": _DEVICE_LIFECYCLE + _SYSTEM_EVENTS + _HARDWARE_CHANGES,
    "CONDITION": ("TRIGGERED", "RESET", "ACKNOWLEDGED"),
    "PATCH_MANAGEMENT": ("*",),
    "SOFTWARE_PATCH_MANAGEMENT": ("*",),
    "ANTIVIRUS": ("*",),
}


class WebhookError(NinjaOneError):
    """Registering or removing the webhook failed; the message is one sentence for the user."""


class WebhookNotAllowed(WebhookError):
    pass


class WebhookPsaConflict(WebhookError):
    pass


NOT_ADMIN_MESSAGE = (
    "NinjaOne only lets system administrators set up webhooks, so sign in to NinjaDesk as a "
    "NinjaOne system administrator (or ask one to connect it) to get live updates."
)
PSA_CONFLICT_MESSAGE = (
    "NinjaOne already has a different PSA integration using this webhook, so remove that PSA "
    "webhook in NinjaOne (Administration > Apps) before NinjaDesk can manage it."
)


DEFAULT_RELAY_ENDPOINT = "ninjaone"


def split_relay_url(url: str) -> tuple[str, str | None]:
    """`https://relay.example/hooks/acme` -> (`https://relay.example`, `acme`).

    One relay serves two addresses: NinjaOne posts to `<relay>/hooks/<endpoint>`, desktops
    stream from `<relay>/events`. People paste either; keep the base and the endpoint apart.
    """
    trimmed = url.strip().rstrip("/")
    base, sep, rest = trimmed.partition("/hooks/")
    if not sep:
        return trimmed, None
    return base, (rest.split("/")[0] or None)


def relay_hook_url(relay_url: str, endpoint: str | None = None) -> str:
    """The address NinjaOne posts webhooks to, for a relay base URL and an endpoint name.

    An endpoint named in a pasted hook address wins over the configured default.
    """
    base, named = split_relay_url(relay_url)
    return f"{base}/hooks/{named or endpoint or DEFAULT_RELAY_ENDPOINT}"


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    relay_url: str
    secret: str = field(repr=False)
    activities: Mapping[str, Sequence[str]] = field(default_factory=lambda: DEFAULT_ACTIVITIES)
    expand: Sequence[str] = DEFAULT_EXPAND
    organization_ids: Sequence[int] | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.relay_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise WebhookError(f"The relay URL '{self.relay_url}' is not an http(s) address.")
        if not self.secret:
            raise WebhookError("The webhook needs a shared secret for the relay.")

    def body(self) -> dict[str, Any]:
        """The `PUT /v2/webhook` body (reference §12.13)."""
        out: dict[str, Any] = {
            "url": self.relay_url,
            "activities": {kind: list(codes) for kind, codes in self.activities.items()},
            "expand": list(self.expand),
            "headers": [{"name": SECRET_HEADER, "value": self.secret}],
        }
        if self.organization_ids is not None:
            out["organizationIds"] = [int(i) for i in self.organization_ids]
        return out


def build_webhook_config(
    relay_url: str,
    secret: str,
    *,
    activities: Mapping[str, Sequence[str]] | None = None,
    organization_ids: Sequence[int] | None = None,
) -> WebhookConfig:
    return WebhookConfig(
        relay_url=relay_url,
        secret=secret,
        activities=activities if activities is not None else DEFAULT_ACTIVITIES,
        organization_ids=organization_ids,
    )


def _explain(exc: NinjaOneForbidden) -> WebhookError:
    if "different psa" in str(exc).lower():
        return WebhookPsaConflict(PSA_CONFLICT_MESSAGE, status=exc.status)
    return WebhookNotAllowed(NOT_ADMIN_MESSAGE, status=exc.status)


async def register_webhook(client: NinjaOneClient, config: WebhookConfig) -> None:
    """PUT the configuration; also how to re-register (it replaces the previous one)."""
    try:
        await client.request("PUT", WEBHOOK_PATH, json=config.body())
    except NinjaOneForbidden as exc:
        raise _explain(exc) from None
    log.info("NinjaOne webhook registered for %s.", urlsplit(config.relay_url).netloc)


async def unregister_webhook(client: NinjaOneClient) -> None:
    """DELETE the app's webhook. No body: NinjaOne rejects a DELETE with one."""
    try:
        await client.request("DELETE", WEBHOOK_PATH)
    except NinjaOneForbidden as exc:
        raise _explain(exc) from None
    log.info("NinjaOne webhook removed.")


# -- keeping the registration in step with the settings ------------------------------------

STATE_FILE = "webhook-registration.json"
_WEBHOOK_SECRET_KEY = "webhook_secret"  # credentials.WEBHOOK_SECRET (no import: no cycle)


class RelaySettings(Protocol):
    """What `ensure_webhook` reads and writes of the app's Settings."""

    relay_url: str | None
    relay_endpoint: str
    webhook_registered: bool


class SecretReader(Protocol):
    def get(self, key: str) -> str | None: ...


@dataclass(frozen=True, slots=True)
class WebhookSync:
    """What `ensure_webhook` did: "registered", "unchanged", "no_relay" or "no_secret"."""

    outcome: str
    message: str
    hook_url: str | None = None

    @property
    def changed(self) -> bool:
        return self.outcome == "registered"


def _fingerprint(base_url: str, config: WebhookConfig) -> str:
    # A digest of everything NinjaOne holds for us (the secret included, only hashed): any
    # change to the relay address, endpoint, secret or the activity list means a new PUT.
    body = json.dumps({"ninjaone": base_url, **config.body()}, sort_keys=True)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def _read_state(path: Path) -> dict[str, Any]:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return raw if isinstance(raw, dict) else {}


def _write_state(path: Path, state: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True), encoding="utf-8")
    os.chmod(tmp, 0o600)
    tmp.replace(path)


def forget_webhook_state(data_dir: str | os.PathLike[str]) -> None:
    """After the webhook was removed (logout): the next `ensure_webhook` registers again."""
    Path(data_dir, STATE_FILE).unlink(missing_ok=True)


async def ensure_webhook(
    client: NinjaOneClient,
    settings: RelaySettings,
    secrets: SecretReader | None,
    *,
    data_dir: str | os.PathLike[str],
    force: bool = False,
    environ: EnvironmentSource | None = None,
) -> WebhookSync:
    """Make NinjaOne's webhook for this app point at the configured relay, with every
    activity type NinjaDesk uses. Call it after sign-in, at start-up of the desktop and the
    agent, and whenever the relay URL, endpoint or secret changes: it PUTs only when what
    NinjaOne holds differs from what the settings say (or `force`), so calling it often is
    cheap. Sets `settings.webhook_registered`; the caller saves the settings.

    Without a relay URL or without the relay endpoint's secret it does nothing and says why
    (`outcome` "no_relay" / "no_secret"). Raises WebhookError (one sentence: not a NinjaOne
    system administrator, another PSA owns the webhook) and NinjaOneError (network, session).
    """
    if not settings.relay_url:
        return WebhookSync(
            "no_relay", "No relay is configured, so NinjaOne has no address to send webhooks to."
        )
    secret = reveal(environment(environ).webhook_secret) or (
        secrets.get(_WEBHOOK_SECRET_KEY) if secrets is not None else None
    )
    if not secret:
        return WebhookSync(
            "no_secret",
            "Enter the relay endpoint's secret (shown by 'ninja-desk-relay endpoint add') so "
            "NinjaDesk can register its webhook.",
        )
    hook_url = relay_hook_url(settings.relay_url, settings.relay_endpoint)
    config = build_webhook_config(hook_url, secret)
    digest = _fingerprint(client.base_url, config)
    state_path = Path(data_dir, STATE_FILE)
    if (
        not force
        and settings.webhook_registered
        and _read_state(state_path).get("fingerprint") == digest
    ):
        return WebhookSync("unchanged", f"NinjaOne already sends its webhooks to {hook_url}.",
                           hook_url)  # fmt: skip
    await register_webhook(client, config)
    _write_state(
        state_path,
        {
            "fingerprint": digest,
            "hook_url": hook_url,
            "ninjaone": client.base_url,
            "activity_types": sorted(config.activities),
            "registered_at": time.time(),
        },
    )
    settings.webhook_registered = True
    return WebhookSync("registered", f"NinjaOne will send its webhooks to {hook_url}.", hook_url)
