"""cache/psa_mirror_writes.py on a real cache file: what the alert pipeline and the PSA mirror
write is what the desktop's reads (cache/queries) find, and repeating a write changes nothing."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ninja_desk.cache import psa_mirror_writes as w
from ninja_desk.cache.psa_mirror_writes import PsaTicketRow
from ninja_desk.cache.queries import tickets as tq
from ninja_desk.cache.queries.alerts import one_alert_sql
from ninja_desk.cache.queries.clients import PSA_CLIENT_CHOICES_SQL
from ninja_desk.cache.store import LocalCache


@pytest.fixture
def cache(tmp_path: Path) -> Iterator[LocalCache]:
    cache = LocalCache(tmp_path / "cache.sqlite3")
    yield cache
    cache.close()


def _series(
    cache: LocalCache, uid: str, device_id: int, severity: str | None, *, resolved: bool
) -> None:
    cache.write_blocking(
        lambda conn: w.upsert_alert_series(conn, uid, device_id, severity, resolved=resolved)
    )


def _alert(cache: LocalCache, uid: str) -> dict[str, Any]:
    return cache.rows("SELECT * FROM alerts WHERE uid = :u", u=uid)[0]


def _ticket(ticket_id: str = "t-1", **changes: Any) -> PsaTicketRow:
    row: PsaTicketRow = {
        "id": ticket_id,
        "number": "TIC-1",
        "title": "Disk full on FS01",
        "status": "Open",
        "is_closed": 0,
        "priority": "High",
        "client_id": "c-1",
        "client_name": "Acme Dental",
        "alert_uid": "series-1",
        "created_at": 100.0,
        "updated_at": 200.0,
        "devices": [7],
    }
    row.update(changes)  # type: ignore[typeddict-item]
    return row


def test_a_series_gets_a_row_and_an_unknown_severity_keeps_the_known_one(cache) -> None:
    _series(cache, "s-1", 7, "CRITICAL", resolved=False)
    _series(cache, "s-2", 8, None, resolved=True)
    assert {k: _alert(cache, "s-1")[k] for k in ("device_id", "severity", "status")} == {
        "device_id": 7,
        "severity": "CRITICAL",
        "status": "TRIGGERED",
    }
    assert _alert(cache, "s-2")["status"] == "RESET"

    # A poll that does not know the severity (None) leaves it; a known one replaces it. The
    # device and status of an existing row are not the upsert's to change.
    _series(cache, "s-1", 99, None, resolved=True)
    assert _alert(cache, "s-1")["severity"] == "CRITICAL"
    _series(cache, "s-1", 99, "MAJOR", resolved=True)
    row = _alert(cache, "s-1")
    assert (row["severity"], row["device_id"], row["status"]) == ("MAJOR", 7, "TRIGGERED")


def test_the_decision_is_json_and_the_latest_word_wins(cache) -> None:
    _series(cache, "s-1", 7, "CRITICAL", resolved=False)
    decision = {"outcome": "ticket", "rule": "Servers"}
    cache.write_blocking(w.set_alert_decision, "s-1", decision, "t-1", "TIC-1")
    sql, params = one_alert_sql("s-1")
    row = cache.rows(sql, **params)[0]
    assert json.loads(row["decision"]) == decision
    assert (row["ticket_id"], row["ticket_number"]) == ("t-1", "TIC-1")

    cache.write_blocking(w.set_alert_decision, "s-1", None, None, None)
    row = _alert(cache, "s-1")
    assert (row["decision"], row["ticket_id"], row["ticket_number"]) == (None, None, None)


def test_resolved_and_acknowledged_keep_the_first_time(cache) -> None:
    _series(cache, "s-1", 7, "CRITICAL", resolved=False)
    cache.write_blocking(w.mark_alert_acknowledged, "s-1", 10.0, "Tina Tech")
    cache.write_blocking(w.mark_alert_acknowledged, "s-1", 20.0, None)  # the agent: no name
    row = _alert(cache, "s-1")
    assert (row["acknowledged_at"], row["acknowledged_by"]) == (10.0, "Tina Tech")
    cache.write_blocking(w.mark_alert_acknowledged, "s-1", 30.0, "Bob Boss")
    assert _alert(cache, "s-1")["acknowledged_by"] == "Bob Boss"

    cache.write_blocking(w.mark_alert_resolved, "s-1", 40.0)
    cache.write_blocking(w.mark_alert_resolved, "s-1", 50.0)
    row = _alert(cache, "s-1")
    assert (row["status"], row["resolved_at"], row["acknowledged_at"]) == ("RESET", 40.0, 10.0)


def test_a_ticket_its_devices_and_its_client_as_the_desktop_reads_them(cache) -> None:
    cache.write_blocking(w.upsert_psa_tickets, [_ticket(devices=[7, 8, 8])])
    assert cache.scalar(tq.TICKET_EXISTS_SQL, t="t-1") == 1
    assert [r["device_id"] for r in tq.linked_devices(cache, "t-1")] == [7, 8]
    assert [r["number"] for r in cache.rows(tq.DEVICE_OPEN_TICKETS_SQL, id=8)] == ["TIC-1"]
    assert cache.rows(PSA_CLIENT_CHOICES_SQL) == [{"id": "c-1", "name": "Acme Dental"}]

    # The PSA's copy replaces the whole row and the device links; the same write twice is one.
    closed = _ticket(devices=[8], status="Closed", is_closed=1, client_name="Acme Dental Ltd")
    cache.write_blocking(w.upsert_psa_tickets, [closed, closed])
    assert cache.scalar("SELECT count(*) FROM psa_tickets") == 1
    assert [r["device_id"] for r in tq.linked_devices(cache, "t-1")] == [8]
    assert cache.rows(tq.DEVICE_OPEN_TICKETS_SQL, id=8) == []
    assert cache.rows(PSA_CLIENT_CHOICES_SQL) == [{"id": "c-1", "name": "Acme Dental Ltd"}]


def test_a_ticket_without_devices_closed_flag_or_client_name(cache) -> None:
    row = _ticket(devices=[], client_name=None)
    del row["is_closed"]  # absent reads as open
    cache.write_blocking(w.upsert_psa_tickets, [row])
    stored = cache.rows("SELECT is_closed, client_name FROM psa_tickets WHERE id = 't-1'")[0]
    assert stored == {"is_closed": 0, "client_name": None}
    assert tq.linked_devices(cache, "t-1") == []
    assert cache.rows(PSA_CLIENT_CHOICES_SQL) == []  # a client without its name is not kept


def test_clients_are_upserted_and_none_is_a_no_op(cache) -> None:
    cache.write_blocking(w.upsert_psa_clients, [])
    cache.write_blocking(w.upsert_psa_clients, [("c-2", "birch & Co"), ("c-1", "Acme")])
    cache.write_blocking(w.upsert_psa_clients, [("c-1", "Acme Dental")])
    assert cache.rows(PSA_CLIENT_CHOICES_SQL) == [
        {"id": "c-1", "name": "Acme Dental"},
        {"id": "c-2", "name": "birch & Co"},
    ]
