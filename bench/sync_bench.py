"""Full and incremental sync against the simulator; prints one JSON line of figures.

    python bench/sync_bench.py [--devices 10000] [--orgs 200]

The simulator runs in its own process (as NinjaOne would be remote); the sync runs here.
Figures: devices, orgs, software rows, API calls by endpoint vs. the pages the datasets need
(from the simulator's own totals, not from what the sync cached), wall seconds, peak RSS and a
content fingerprint; the floor: the same pages fetched with the same concurrency and thrown
away (no parsing, no writing), and full/floor; incremental after 20 device changes
(online/offline flips among them, some with no activity at all) and whether its online/offline
state matches NinjaOne's; full sync and floor with 100 ms latency.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import resource
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sim_process import simulator_process

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.api import INVENTORY_REPORTS, NinjaOneApi
from ninja_desk.ninjaone.pagination import LIST_PAGE_SIZE, REPORT_PAGE_SIZE
from ninja_desk.ninjaone.session import open_api
from ninja_desk.simulator import SimControl
from ninja_desk.sync.engine import SyncEngine


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pages_needed(rows: int, page_size: int) -> int:
    # A page shorter than pageSize ends a list; an exact multiple needs one empty page more.
    return rows // page_size + 1 if rows % page_size == 0 else math.ceil(rows / page_size)


async def fetch_floor(base_url: str) -> dict[str, object]:
    """What the network allows: the full sync's requests in the same order and concurrency
    (high-water mark first, then every dataset at once under the same limiter), each page
    decoded (its cursor or last id picks the next) and dropped."""
    api = open_api(base_url, "demo-client", "demo-secret", rate_per_second=200)

    async def drain(pages: AsyncIterator[list[dict[str, Any]]]) -> None:
        async for _ in pages:
            pass

    async def all_datasets(api: NinjaOneApi) -> None:
        await api.last_activity_id()
        await asyncio.gather(
            drain(api.organizations()),
            drain(api.locations()),
            drain(api.devices_detailed()),
            *(drain(api.report(table)) for table in INVENTORY_REPORTS),
            api.alerts(),
        )

    try:
        started = time.perf_counter()
        await all_datasets(api)
        return {
            "wall_seconds": round(time.perf_counter() - started, 3),
            "api_calls": api.client.total_calls,
        }
    finally:
        await api.client.aclose()


def full_and_floor(base_url: str, cache_dir: Path) -> tuple[dict[str, Any], float]:
    """A full sync between two floor runs; the faster floor is the one we compare with (the
    box is shared, so the bench errs on the side of a worse ratio)."""
    before = asyncio.run(fetch_floor(base_url))
    full = asyncio.run(run_sync(base_url, cache_dir, "full"))
    after = asyncio.run(fetch_floor(base_url))
    assert before["api_calls"] == after["api_calls"] == full["api_calls"], "floor != sync calls"
    return full, min(float(before["wall_seconds"]), float(after["wall_seconds"]))


async def run_sync(base_url: str, cache_dir: Path, mode: str) -> dict[str, Any]:
    cache = LocalCache(cache_dir / "cache.sqlite3")
    engine = SyncEngine(
        open_api(base_url, "demo-client", "demo-secret", rate_per_second=200), cache
    )
    try:
        started = time.perf_counter()
        result = await engine.sync(mode)
        out = result.as_dict()
        out["wall_seconds"] = round(time.perf_counter() - started, 3)
        out["rows_cached"] = {
            table: cache.scalar(f"SELECT count(*) FROM {table}")
            for table in ("organizations", "locations", *INVENTORY_REPORTS)
        }
        out["fingerprint"] = fingerprint(cache)
        out["retries"] = sum(engine.api.client.retries.values())
        return out
    finally:
        await engine.api.client.aclose()
        cache.close()


def offline_states(cache_dir: Path) -> dict[int, bool]:
    cache = LocalCache(cache_dir / "cache.sqlite3")
    try:
        rows = cache.rows("SELECT id, offline FROM devices WHERE deleted = 0")
    finally:
        cache.close()
    return {r["id"]: bool(r["offline"]) for r in rows}


async def ninjaone_offline_ids(base_url: str) -> set[int]:
    """What NinjaOne itself says is offline now (not counted in the sync's figures)."""
    api = open_api(base_url, "demo-client", "demo-secret", rate_per_second=200)
    try:
        ids: set[int] = set()
        async for page in api.devices_detailed("offline"):
            ids.update(d["id"] for d in page)
        return ids
    finally:
        await api.client.aclose()


def fingerprint(cache: LocalCache) -> list[object]:
    """Cheap content summary of the cache, to compare a faulted sync with a clean one."""
    return [
        cache.scalar(sql)
        for sql in (
            "SELECT count(*) || ':' || total(length(name) + id) FROM devices WHERE deleted = 0",
            "SELECT count(*) || ':' || total(length(name) + device_id) FROM software",
            "SELECT count(*) || ':' || total(length(id) + device_id) FROM os_patches",
            "SELECT count(*) || ':' || total(length(id) + device_id) FROM software_patches",
            "SELECT count(*) || ':' || total(device_id) FROM antivirus",
            "SELECT total(pending_os_patches + failed_software_patches + software_count) "
            "FROM devices",
        )
    ]


def expected_pages(totals: dict[str, int]) -> dict[str, int]:
    """Pages a full sync needs, from the simulator's own row counts (not from our cache)."""
    lists = {"organizations": "organizations", "locations": "locations",
             "devices": "devices-detailed"}  # fmt: skip
    pages = {
        f"GET /v2/{path}": pages_needed(totals[dataset], LIST_PAGE_SIZE)
        for dataset, path in lists.items()
    }
    pages |= {
        f"GET /v2{path}": pages_needed(totals[table], REPORT_PAGE_SIZE)
        for table, path in INVENTORY_REPORTS.items()
    }
    return pages | {"GET /v2/alerts": 1, "GET /v2/activities": 1}  # + the high-water mark


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--devices", type=int, default=10000)
    parser.add_argument("--orgs", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    figures: dict[str, object] = {"devices_requested": args.devices, "orgs_requested": args.orgs}
    with (
        tempfile.TemporaryDirectory() as tmp,
        simulator_process(
            "--devices", str(args.devices), "--orgs", str(args.orgs), "--seed", str(args.seed)
        ) as base_url,
    ):
        # Counting a 50,000-device fleet's report rows takes the simulator a while.
        ctl = SimControl(base_url, timeout=600)
        full, floor = full_and_floor(base_url, Path(tmp))
        totals = ctl.dataset_totals()
        needed = expected_pages(totals)
        figures["full"] = {
            k: full[k]
            for k in ("devices", "organizations", "software_rows", "api_calls", "wall_seconds")
        }
        figures["full"] |= {
            "floor_seconds": floor,
            "full_to_floor": round(float(full["wall_seconds"]) / floor, 2),
            "api_calls_by_endpoint": full["api_calls_by_endpoint"],
            "pages_needed_by_endpoint": needed,
            "pages_needed": sum(needed.values()),
            "calls_equal_pages": full["api_calls_by_endpoint"] == needed,
            # Every row NinjaOne holds is in the cache (its own totals, not ours).
            "rows_equal_ninjaone": all(
                totals[table] == n for table, n in full["rows_cached"].items()
            )
            and totals["devices"] == full["devices"],
            "fingerprint": full["fingerprint"],
            "peak_rss_mb": round(peak_rss_mb(), 1),
        }
        figures["software_per_device"] = round(
            int(full["software_rows"]) / max(1, int(full["devices"])), 1
        )

        # 20 changes: 14 random ones (which may take devices offline too) and 6 online/offline
        # flips, half of them with no activity at all (no offline condition configured).
        before = offline_states(Path(tmp))
        changes = ctl.churn(14, seed=5)["changes"]
        picked = sorted(before)[:: max(1, len(before) // 6)][:6]
        for n, device_id in enumerate(picked):
            ctl.set_offline(device_id, not before[device_id], "none" if n % 2 else "condition")
            changes.append({"op": "offline", "deviceId": device_id})
        time.sleep(0.2)
        inc = asyncio.run(run_sync(base_url, Path(tmp), "incremental"))
        after = offline_states(Path(tmp))
        truth = asyncio.run(ninjaone_offline_ids(base_url))
        figures["incremental_after_20_changes"] = {
            k: inc[k] for k in ("activities", "devices", "api_calls", "wall_seconds", "fell_back")
        }
        figures["incremental_after_20_changes"] |= {
            "changes": len(changes),
            "online_offline_changes": sum(1 for c in changes if c.get("op") == "offline"),
            "devices_whose_state_flipped": sum(
                1 for i, off in after.items() if i in before and off != before[i]
            ),
            "offline_state_true": {i for i, off in after.items() if off} == truth,
            "api_calls_by_endpoint": inc["api_calls_by_endpoint"],
        }

        ctl.set_faults(latency_ms=100)
        with tempfile.TemporaryDirectory() as tmp2:
            slow, slow_floor = full_and_floor(base_url, Path(tmp2))
        ctl.set_faults(latency_ms=0)
        figures["full_with_100ms_latency"] = {
            k: slow[k] for k in ("devices", "api_calls", "wall_seconds")
        }
        figures["full_with_100ms_latency"] |= {
            "floor_seconds": slow_floor,
            "full_to_floor": round(float(slow["wall_seconds"]) / slow_floor, 2),
        }
        # Same fleet, 10% 429s (Retry-After 1 s) and 2% 5xx: the cache must end up identical.
        with tempfile.TemporaryDirectory() as tmp3:
            clean = asyncio.run(run_sync(base_url, Path(tmp3), "full"))
        ctl.reset_stats()
        ctl.set_faults(rate_429=0.10, rate_5xx=0.02, retry_after=1)
        with tempfile.TemporaryDirectory() as tmp4:
            faulty = asyncio.run(run_sync(base_url, Path(tmp4), "full"))
        stats = ctl.stats()
        ctl.set_faults(rate_429=0.0, rate_5xx=0.0)
        figures["full_with_faults"] = {
            "wall_seconds": faulty["wall_seconds"],
            "api_calls": faulty["api_calls"],
            "retries": faulty["retries"],
            "responses": stats.get("statuses"),
            "same_content_as_clean_sync": faulty["fingerprint"] == clean["fingerprint"],
            "early_requests": stats.get("early_requests"),
        }
        figures["simulator_early_requests"] = stats.get("early_requests")
    figures["peak_rss_mb"] = round(peak_rss_mb(), 1)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
