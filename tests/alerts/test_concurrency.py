"""Three real processes ingest the same 1,000 alert events at once on PostgreSQL."""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
import sqlalchemy as sa

from ninja_desk.psa.schema import (
    comments,
    ninjadesk_alert_series,
    ninjadesk_alert_tickets,
    rmm_alerts,
    tickets,
)
from tests.alerts.conftest import AlertEnv
from tests.alerts.payloads import activity

pytestmark = [pytest.mark.postgres, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def build_events(seed: int = 7) -> tuple[list[dict], dict[str, dict]]:
    """~250 series: TRIGGERED, sometimes a repeat, mostly a RESET; then duplicates to 1,000."""
    rng = random.Random(seed)
    events: list[dict] = []
    truth: dict[str, dict] = {}
    devices = [*range(101, 111), *range(201, 211), 301, 302]
    next_id = 1000
    for n in range(250):
        series = f"series-{n:04d}"
        severity = rng.choice(["CRITICAL", "MAJOR", "MINOR", "MODERATE"])
        device = rng.choice(devices)
        repeat, reset = rng.random() < 0.4, rng.random() < 0.6
        # The RESET of some series carries no severity: it must come from the TRIGGERED.
        events.append(activity(next_id, series, device_id=device, severity=severity))
        if repeat:
            events.append(activity(next_id + 1, series, device_id=device, severity=severity))
        if reset:
            events.append(
                activity(
                    next_id + 2,
                    series,
                    "RESET",
                    device_id=device,
                    severity=None if n % 2 else severity,
                )
            )
        next_id += 3
        mapped = device < 300
        truth[series] = {
            "ticket": mapped and severity in ("CRITICAL", "MAJOR"),
            "suppressed": severity == "MINOR",
            "reset": reset,
            "severity": severity,
        }
    while len(events) < 1000:  # duplicates: webhook retries and relay replays
        events.append(dict(rng.choice(events)))
    rng.shuffle(events)
    return events, truth


def test_three_processes_one_ticket_per_series(pg_alerts: AlertEnv, tmp_path: Path) -> None:
    a = pg_alerts
    a.rule("quiet minor", 1, {"severities": ["minor"]}, {"createTicket": False})
    a.rule("urgent", 2, {"severities": ["critical", "major"]})
    events, truth = build_events()
    assert len(events) == 1000
    events_file = tmp_path / "events.json"
    events_file.write_text(json.dumps(events))
    go = tmp_path / "go"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.alerts.ingest_worker",
                a.psa.url,
                str(a.tenant),
                str(a.integration),
                str(events_file),
                str(seed),
                "40",
                str(go),
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in (1, 2, 3)
    ]
    go.write_text("go")
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=90)
        assert p.returncode == 0, err[-3000:]
        outputs.append(json.loads(out.strip().splitlines()[-1]))
    assert sum(o["events"] for o in outputs) == 3000

    t, st = rmm_alerts, ninjadesk_alert_series
    with a.psa.tenant_session(a.tenant) as s:
        rows = {
            r.external_alert_id: r
            for r in s.conn.execute(
                sa.select(
                    t.c.external_alert_id,
                    t.c.status,
                    t.c.severity,
                    t.c.ticket_id,
                    st.c.rule_decision,
                )
                .select_from(
                    t.join(st, sa.and_(st.c.tenant == t.c.tenant, st.c.alert_id == t.c.alert_id))
                )
                .where(t.c.tenant == a.tenant)
            )
        }
        ticket_rows = s.conn.execute(
            sa.select(tickets.c.ticket_id, tickets.c.is_closed, tickets.c.ticket_number).where(
                tickets.c.tenant == a.tenant
            )
        ).all()
        closed = {r.ticket_id for r in ticket_rows if r.is_closed}
        pipeline_tickets = s.conn.scalar(
            sa.select(sa.func.count()).where(ninjadesk_alert_tickets.c.tenant == a.tenant)
        )
        # One resolution note per closed ticket, whoever's process closed it.
        reset_notes = Counter(
            s.conn.scalars(
                sa.select(comments.c.ticket_id).where(
                    comments.c.tenant == a.tenant, comments.c.is_resolution.is_(True)
                )
            )
        )
    numbers = sorted(r.ticket_number for r in ticket_rows)
    assert numbers == [f"TIC{n:06d}" for n in range(1, len(numbers) + 1)]  # no gaps, no dupes
    assert set(rows) == set(truth)
    wanted = {u for u, t_ in truth.items() if t_["ticket"]}
    with_ticket = {u for u, r in rows.items() if r.ticket_id is not None}
    assert with_ticket == wanted  # none missing, none extra (suppressed ones included)
    assert len({rows[u].ticket_id for u in wanted}) == len(wanted)  # one ticket per series
    assert len(ticket_rows) == pipeline_tickets == len(wanted)  # and no orphan tickets
    for uid, fact in truth.items():
        row = rows[uid]
        assert row.severity == fact["severity"].lower(), uid
        assert row.status == ("resolved" if fact["reset"] else "active"), uid  # every RESET matched
        if fact["suppressed"]:
            assert row.rule_decision == "suppressed"
        if fact["ticket"]:
            assert (row.ticket_id in closed) == fact["reset"], uid  # untouched -> auto-resolved
            assert reset_notes[row.ticket_id] == (1 if fact["reset"] else 0), uid
