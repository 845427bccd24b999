"""`SimControl`: a small httpx client for the `/_sim/` control API (control.py).

`SimControl` is sync and thread-safe (httpx.Client is), so tests can drive a simulator that
runs on another thread or in another process. `AsyncSimControl` has the same methods, each
returning an awaitable. Both share one description of the calls (`_ControlCalls`); only the
transport differs.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

import httpx

Pick = Callable[[Any], Any] | None


class SimControlError(RuntimeError):
    pass


def _check(resp: httpx.Response) -> Any:
    if resp.status_code >= 400:
        raise SimControlError(f"/_sim call failed with HTTP {resp.status_code}: {resp.text}")
    return resp.json()


def _first_config(client_id: str | None) -> Callable[[Any], Any]:
    def pick(body: Any) -> Any:
        configs = body["configs"]
        if client_id is not None:
            return configs.get(client_id)
        return next(iter(configs.values()), None)

    return pick


class _ControlCalls:
    """Every control call as (method, path, body, pick); `_call` is the transport."""

    def _call(self, method: str, path: str, body: Any = None, pick: Pick = None) -> Any:
        raise NotImplementedError

    # -- devices ---------------------------------------------------------------------------
    def add_device(
        self,
        org_id: int,
        node_class: str = "WINDOWS_WORKSTATION",
        *,
        location_id: int | None = None,
        name: str | None = None,
    ) -> Any:
        """Returns the new device (detailed shape)."""
        return self._call(
            "POST",
            "/_sim/devices",
            {"org_id": org_id, "node_class": node_class, "location_id": location_id, "name": name},
        )

    def rename_device(self, device_id: int, name: str, field: str = "displayName") -> Any:
        return self._call(
            "POST", f"/_sim/devices/{device_id}/rename", {"name": name, "field": field}
        )

    def move_device(self, device_id: int, org_id: int, location_id: int | None = None) -> Any:
        return self._call(
            "POST",
            f"/_sim/devices/{device_id}/move",
            {"org_id": org_id, "location_id": location_id},
        )

    def delete_device(self, device_id: int) -> Any:
        return self._call("DELETE", f"/_sim/devices/{device_id}")

    def set_offline(self, device_id: int, offline: bool = True, report: str = "none") -> Any:
        """`report`: "none" (no activity, NinjaOne without an offline condition), "condition"
        (AGENT_OFFLINE TRIGGERED / RESET) or "system" (NODE_UPDATED)."""
        return self._call(
            "POST",
            f"/_sim/devices/{device_id}/offline",
            {"offline": offline, "report": report},
        )

    # -- inventory -------------------------------------------------------------------------
    def add_software(
        self, device_id: int, name: str, version: str | None = None, publisher: str | None = None
    ) -> Any:
        return self._call(
            "POST",
            f"/_sim/devices/{device_id}/software",
            {"name": name, "version": version, "publisher": publisher},
        )

    def remove_software(self, device_id: int, name: str) -> Any:
        query = urlencode({"name": name})
        return self._call("DELETE", f"/_sim/devices/{device_id}/software?{query}")

    def patch_installed(self, device_id: int, patch_id: str | None = None, kind: str = "os") -> Any:
        """Install one pending patch (`kind` "os" or "software"); returns the activity."""
        return self._call(
            "POST",
            f"/_sim/devices/{device_id}/patch",
            {"success": True, "kind": kind, "patch_id": patch_id},
        )

    def patch_failed(self, device_id: int, patch_id: str | None = None, kind: str = "os") -> Any:
        return self._call(
            "POST",
            f"/_sim/devices/{device_id}/patch",
            {"success": False, "kind": kind, "patch_id": patch_id},
        )

    # -- alerts ----------------------------------------------------------------------------
    def trigger_alert(
        self,
        device_id: int,
        severity: str | None = "CRITICAL",
        *,
        message: str | None = None,
        priority: str | None = None,
        source_type: str | None = None,
    ) -> Any:
        """Returns the alert (with `uid`). `severity=None` gives the older-tenant shape."""
        return self._call(
            "POST",
            "/_sim/alerts",
            {
                "device_id": device_id,
                "severity": severity,
                "message": message,
                "priority": priority,
                "source_type": source_type,
            },
        )

    def reset_alert(self, uid: str, custom: dict[str, Any] | None = None) -> Any:
        return self._call("POST", f"/_sim/alerts/{uid}/reset", {"custom": custom})

    def churn(self, count: int = 10, seed: int | str | None = None) -> Any:
        body: dict[str, Any] = {"count": count}
        if seed is not None:
            body["seed"] = seed
        return self._call("POST", "/_sim/churn", body)

    def alert_storm(self, count: int = 50, severity: str | None = "CRITICAL") -> Any:
        return self._call("POST", "/_sim/alert-storm", {"count": count, "severity": severity})

    # -- device jobs -----------------------------------------------------------------------
    def jobs(self) -> Any:
        """Job settings (duration, outcome rules) plus running and recently finished jobs."""
        return self._call("GET", "/_sim/jobs")

    def set_job_duration(self, seconds: float) -> Any:
        """How long device jobs run from now on (reboot, scripts, patches, services)."""
        return self._call("POST", "/_sim/jobs", {"duration": seconds})

    def set_job_outcome(
        self,
        result: str,
        *,
        device_id: int | None = None,
        action: str | None = None,
        message: str | None = None,
        times: int | None = None,
    ) -> Any:
        """Jobs on `device_id` (None: every device) of `action` (None: every action; one of
        reboot, script, action, os_scan, os_apply, software_scan, software_apply, service)
        end with `result` ("SUCCESS" or "FAILURE") and `message`; `times` limits how many
        jobs the rule decides. The most specific rule wins; without one jobs succeed."""
        return self._call(
            "POST",
            "/_sim/jobs",
            {
                "outcome": {
                    "result": result.upper(),
                    "device_id": device_id,
                    "action": action,
                    "message": message,
                    "times": times,
                }
            },
        )

    def clear_job_outcomes(self) -> Any:
        """Forget every outcome rule: jobs succeed again."""
        return self._call("POST", "/_sim/jobs", {"clear_outcomes": True})

    # -- faults and stats ------------------------------------------------------------------
    def set_faults(
        self,
        *,
        rate_429: float | None = None,
        rate_5xx: float | None = None,
        latency_ms: float | None = None,
        retry_after: float | None = None,
        rate_429_without_retry_after: float | None = None,
        token_lifetime: int | None = None,
    ) -> Any:
        """Change only the settings given; returns all current settings.

        `token_lifetime` (seconds) applies to access tokens issued from now on."""
        return self._call(
            "POST",
            "/_sim/faults",
            {
                "rate_429": rate_429,
                "rate_5xx": rate_5xx,
                "latency_ms": latency_ms,
                "retry_after": retry_after,
                "rate_429_without_retry_after": rate_429_without_retry_after,
                "token_lifetime": token_lifetime,
            },
        )

    def faults(self) -> Any:
        return self._call("GET", "/_sim/faults")

    def stats(self) -> Any:
        return self._call("GET", "/_sim/stats")

    def reset_stats(self) -> Any:
        return self._call("POST", "/_sim/stats/reset", pick=lambda _: None)

    def health(self) -> Any:
        return self._call("GET", "/_sim/health")

    def dataset_totals(self) -> Any:
        """The simulator's own row count per dataset a full sync reads (devices,
        organizations, locations, alerts, software, os_patches, software_patches, antivirus,
        device_health, volumes): expected totals that do not come from our cache."""
        return self._call("GET", "/_sim/totals")

    # -- oauth -----------------------------------------------------------------------------
    def expire_tokens(self) -> Any:
        """Every access token issued so far expires now; returns how many."""
        return self._call("POST", "/_sim/tokens/expire", pick=lambda b: int(b["expired"]))

    def revoke_tokens(self, token: str | None = None, client_id: str | None = None) -> Any:
        """Revoke one token, one client's tokens, or (no arguments) all of them."""
        return self._call(
            "POST",
            "/_sim/tokens/revoke",
            {"token": token, "client_id": client_id},
            pick=lambda b: int(b["revoked"]),
        )

    def register_client(
        self,
        client_id: str,
        *,
        secret: str | None = None,
        platform: str | None = None,
        grants: list[str] | None = None,
        redirect_uris: list[str] | None = None,
        admin: bool = True,
    ) -> Any:
        return self._call(
            "POST",
            "/_sim/oauth/clients",
            {
                "client_id": client_id,
                "secret": secret,
                "platform": platform,
                "grants": grants,
                "redirect_uris": redirect_uris,
                "admin": admin,
            },
        )

    # -- webhook ---------------------------------------------------------------------------
    def webhook(self, client_id: str | None = None) -> Any:
        """The webhook configured by `client_id` (default: the first one), or None."""
        return self._call("GET", "/_sim/webhook", pick=_first_config(client_id))

    def configure_webhook(
        self,
        *,
        admin: bool | None = None,
        psa_conflict: bool | None = None,
        client_id: str | None = None,
    ) -> Any:
        """Set the webhook admin flag (globally or per client) and the PSA conflict."""
        body = {
            k: v
            for k, v in (("admin", admin), ("psa_conflict", psa_conflict), ("client_id", client_id))
            if v is not None
        }
        return self._call("POST", "/_sim/webhook", body)

    def drain_webhooks(self) -> Any:
        """Wait until every queued webhook delivery was attempted; returns delivery stats."""
        return self._call("POST", "/_sim/webhook/drain")


class SimControl(_ControlCalls):
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.Client(base_url=self.base_url, timeout=timeout)

    def _call(self, method: str, path: str, body: Any = None, pick: Pick = None) -> Any:
        result = _check(self._http.request(method, path, json=body))
        return pick(result) if pick else result

    def dataset_totals(self) -> dict[str, int]:
        return {str(k): int(v) for k, v in super().dataset_totals().items()}

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> SimControl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncSimControl(_ControlCalls):
    def __init__(self, base_url: str, timeout: float = 30.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._http = httpx.AsyncClient(base_url=self.base_url, timeout=timeout)

    def _call(self, method: str, path: str, body: Any = None, pick: Pick = None) -> Awaitable[Any]:
        async def run() -> Any:
            result = _check(await self._http.request(method, path, json=body))
            return pick(result) if pick else result

        return run()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncSimControl:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
