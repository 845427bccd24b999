"""Full and incremental sync against the simulator; prints one JSON line of figures.

    python bench/sync_bench.py [--devices 10000] [--orgs 200]

The simulator runs in its own process (as NinjaOne would be remote); the sync runs here.
Figures: devices, orgs, software rows, API calls by endpoint vs. the pages the datasets need,
wall seconds, peak RSS; incremental after 20 device changes (online/offline flips among them,
some with no activity at all) and whether its online/offline state matches NinjaOne's; full
sync with 100 ms latency.
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
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _sim_process import simulator_process

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.pagination import LIST_PAGE_SIZE, REPORT_PAGE_SIZE
from ninja_desk.ninjaone.session import open_api
from ninja_desk.simulator import SimControl
from ninja_desk.sync.engine import SyncEngine


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def pages_needed(rows: int, page_size: int) -> int:
    # A page shorter than pageSize ends a list; an exact multiple needs one empty page more.
    return rows // page_size + 1 if rows % page_size == 0 else math.ceil(rows / page_size)


async def run_sync(base_url: str, cache_dir: Path, mode: str) -> dict[str, object]:
    cache = LocalCache(cache_dir / "cache.sqlite3")
    engine = SyncEngine(
        open_api(base_url, "demo-client", "demo-secret", rate_per_second=200), cache
    )
    try:
        started = time.perf_counter()
        result = await engine.sync(mode)
        out = result.as_dict()
        out["wall_seconds"] = round(time.perf_counter() - started, 3)
        out["software_rows_cached"] = cache.scalar("SELECT count(*) FROM software")
        out["os_patch_rows"] = cache.scalar("SELECT count(*) FROM os_patches")
        out["software_patch_rows"] = cache.scalar("SELECT count(*) FROM software_patches")
        out["antivirus_rows"] = cache.scalar("SELECT count(*) FROM antivirus")
        out["locations"] = cache.scalar("SELECT count(*) FROM locations")
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


def expected_pages(full: dict[str, object]) -> dict[str, int]:
    return {
        "GET /v2/organizations": pages_needed(int(full["organizations"]), LIST_PAGE_SIZE),
        "GET /v2/locations": pages_needed(int(full["locations"]), LIST_PAGE_SIZE),
        "GET /v2/devices-detailed": pages_needed(int(full["devices"]), LIST_PAGE_SIZE),
        "GET /v2/queries/software": pages_needed(
            int(full["software_rows_cached"]), REPORT_PAGE_SIZE
        ),
        "GET /v2/queries/os-patches": pages_needed(int(full["os_patch_rows"]), REPORT_PAGE_SIZE),
        "GET /v2/queries/software-patches": pages_needed(
            int(full["software_patch_rows"]), REPORT_PAGE_SIZE
        ),
        "GET /v2/queries/antivirus-status": pages_needed(
            int(full["antivirus_rows"]), REPORT_PAGE_SIZE
        ),
        "GET /v2/alerts": 1,
        "GET /v2/activities": 1,  # the high-water mark
    }


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
        ctl = SimControl(base_url)
        full = asyncio.run(run_sync(base_url, Path(tmp), "full"))
        figures["full"] = {
            k: full[k]
            for k in ("devices", "organizations", "software_rows", "api_calls", "wall_seconds")
        }
        figures["full"]["api_calls_by_endpoint"] = full["api_calls_by_endpoint"]
        figures["full"]["pages_needed_by_endpoint"] = expected_pages(full)
        figures["full"]["pages_needed"] = sum(expected_pages(full).values())
        figures["full"]["peak_rss_mb"] = round(peak_rss_mb(), 1)
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
            slow = asyncio.run(run_sync(base_url, Path(tmp2), "full"))
        ctl.set_faults(latency_ms=0)
        figures["full_with_100ms_latency"] = {
            k: slow[k] for k in ("devices", "api_calls", "wall_seconds")
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
