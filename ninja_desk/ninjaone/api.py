"""NinjaOne endpoints the app uses, on top of the client and the pagination helpers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.device_actions import DeviceActions
from ninja_desk.ninjaone.pagination import (
    LIST_PAGE_SIZE,
    REPORT_PAGE_SIZE,
    fetch_activities_since,
    iter_id_pages,
    iter_report_pages,
)

# Reports the full sync reads, by cache table. Each is one cursor-paged bulk query.
INVENTORY_REPORTS: dict[str, str] = {
    "software": "/queries/software",
    "os_patches": "/queries/os-patches",
    "software_patches": "/queries/software-patches",
    "antivirus": "/queries/antivirus-status",
}


def device_id_filter(device_ids: Sequence[int]) -> str:
    """`df` selecting exactly these devices (reference §5)."""
    return "id in (" + ",".join(str(int(i)) for i in sorted(set(device_ids))) + ")"


class NinjaOneApi:
    def __init__(
        self,
        client: NinjaOneClient,
        *,
        list_page_size: int = LIST_PAGE_SIZE,
        report_page_size: int = REPORT_PAGE_SIZE,
    ) -> None:
        self.client = client
        self.list_page_size = list_page_size
        self.report_page_size = report_page_size
        self._device_actions: DeviceActions | None = None

    @property
    def device_actions(self) -> DeviceActions:
        """Reboot, scripts, patches, services, maintenance, jobs, custom fields (issue 16)."""
        if self._device_actions is None:
            self._device_actions = DeviceActions(self.client)
        return self._device_actions

    def organizations(self) -> AsyncIterator[list[dict[str, Any]]]:
        return iter_id_pages(self.client, "/organizations", page_size=self.list_page_size)

    def locations(self) -> AsyncIterator[list[dict[str, Any]]]:
        return iter_id_pages(self.client, "/locations", page_size=self.list_page_size)

    def devices_detailed(self, df: str | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        return iter_id_pages(
            self.client, "/devices-detailed", {"df": df}, page_size=self.list_page_size
        )

    def report(self, table: str, df: str | None = None) -> AsyncIterator[list[dict[str, Any]]]:
        return iter_report_pages(
            self.client, INVENTORY_REPORTS[table], {"df": df}, page_size=self.report_page_size
        )

    async def alerts(self, df: str | None = None) -> list[dict[str, Any]]:
        body = await self.client.get("/alerts", {"df": df})
        return [a for a in body or [] if isinstance(a, dict)]

    async def last_activity_id(self) -> int | None:
        body = await self.client.get("/activities", {"pageSize": 10})
        value = body.get("lastActivityId") if isinstance(body, dict) else None
        if isinstance(value, int):
            return value
        ids = [a.get("id") for a in (body or {}).get("activities", []) if isinstance(a, dict)]
        ints = [i for i in ids if isinstance(i, int)]
        return max(ints) if ints else None

    async def activities_since(self, newer_than: int) -> tuple[list[dict[str, Any]], int | None]:
        return await fetch_activities_since(self.client, newer_than)

    async def dashboard_url(self, device_id: int) -> dict[str, Any]:
        return await self.client.get(f"/device/{int(device_id)}/dashboard-url")

    async def reset_alert(self, uid: str, note: dict[str, Any] | None = None) -> None:
        await self.client.request("POST", f"/alert/{uid}/reset", json=note or {}, idempotent=True)
