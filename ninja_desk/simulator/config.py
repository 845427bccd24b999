"""Settings of one simulator instance. Everything that changes behaviour lives here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any


@dataclass(slots=True)
class FaultSettings:
    """Injected faults (faults.py); changeable at runtime through /_sim/faults."""

    # Probability that an API request answers 429 / 5xx instead of its real answer.
    rate_429: float = 0.0
    rate_5xx: float = 0.0
    # Added to every API request (not /_sim/ control calls).
    latency_ms: float = 0.0
    # `Retry-After` seconds sent with a 429, and the share of 429s that carry no header at all
    # (NinjaOne's header is unconfirmed, reference §14.1, so clients must cope with both).
    retry_after: float = 1.0
    rate_429_without_retry_after: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def fault_settings(self) -> FaultSettings:
        """A copy of just the fault fields (a SimulatorConfig's are its starting faults)."""
        return FaultSettings(**{f.name: getattr(self, f.name) for f in fields(FaultSettings)})


@dataclass(slots=True)
class SimulatorConfig(FaultSettings):
    orgs: int = 5
    devices: int = 50
    seed: int = 1
    # Seconds an access token lives; `expires_in` in the token response.
    token_lifetime: int = 3600
    host: str = "127.0.0.1"
    port: int = 0
    # Authorization codes are single-use and expire (reference §2.4: about 60 s).
    code_lifetime: float = 60.0
    # Redirect straight back from /ws/oauth/authorize instead of showing Allow / Deny.
    auto_consent: bool = False
    # Webhook admin flag (PUT /v2/webhook answers 403 when false) and a PSA conflict
    # (DELETE /v2/webhook answers 403 "Different PSA is already configured").
    webhook_admin: bool = True
    psa_conflict: bool = False
    # Epoch seconds that generated timestamps are relative to; None means "now". Fix it to get
    # byte-identical payloads across runs.
    base_time: float | None = None
    # Identifies this run: activity ids and alert uids derive from it, so a restarted simulator
    # never hands out ids an earlier run used (NinjaOne's never repeat; a saved profile keeps
    # the old ones). None means base_time (itself "now" unless fixed), so a fixed base_time
    # still gives byte-identical runs.
    run_epoch: float | None = None
    # Serialise the sync reports' rows in the background right after startup, so the first
    # full sync's report pages cost what later ones do (~15-30 ms instead of 100-300 ms).
    prewarm: bool = True
    # Seconds a device job (reboot, script run, patch scan/apply, service control) runs before
    # it ends; short by default so tests are fast. Changeable at runtime through /_sim/jobs.
    job_duration: float = 0.3
