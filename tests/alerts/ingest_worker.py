"""A separate process that ingests alert events into the PSA (the concurrency test's worker).

    python -m tests.alerts.ingest_worker URL TENANT INTEGRATION EVENTS.json SEED BATCH GO_FILE

Waits for GO_FILE so every worker starts at the same moment, shuffles the events with its own
seed, ingests them `BATCH` at a time and prints one JSON line of counts.
"""

from __future__ import annotations

import json
import random
import sys
import time
import uuid
from pathlib import Path


def main(argv: list[str]) -> int:
    url, tenant, integration, events_file, seed, batch, go = argv
    from ninja_desk.psa.tenancy import PsaDatabase
    from ninja_desk.sync.alert_pipeline import AlertPipeline

    payloads = json.loads(Path(events_file).read_text())
    random.Random(int(seed)).shuffle(payloads)
    psa = PsaDatabase(url)
    pipeline = AlertPipeline(
        psa, uuid.UUID(tenant), uuid.UUID(integration), ninjaone_url="https://eu.ninjarmm.com"
    )
    deadline = time.time() + 60
    while not Path(go).exists():
        if time.time() > deadline:
            print(json.dumps({"error": "never started"}))
            return 1
        time.sleep(0.005)
    started = time.perf_counter()
    totals: dict[str, int] = {}
    size = int(batch)
    for i in range(0, len(payloads), size):
        result = pipeline.ingest_payloads(payloads[i : i + size])
        for k, v in result.summary().items():
            totals[k] = totals.get(k, 0) + v
    totals["seconds"] = round(time.perf_counter() - started, 3)  # type: ignore[assignment]
    psa.dispose()
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
