"""A relay database written by the relay before SQLAlchemy (dumps in legacy/, made by that
code) opens with today's store, is upgraded in place and keeps its events, cursor watermark,
endpoints, tokens and forward outbox, on both backends."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import psycopg
import pytest

from ninja_desk.relay.retention import RetentionPolicy
from ninja_desk.relay.schema import SCHEMA_VERSION
from ninja_desk.relay.state import RelayConfig
from ninja_desk.relay.store import AdminError, open_store
from tests.relay.conftest import Relay, activity, fresh_pg_database

LEGACY = Path(__file__).parent / "legacy"
CREDENTIALS = json.loads((LEGACY / "relay-0.1.credentials.json").read_text())


def _sqlite_from_dump(tmp_path: Path) -> str:
    path = tmp_path / "relay.db"
    with sqlite3.connect(path) as conn:
        conn.executescript((LEGACY / "relay-0.1.sqlite.sql").read_text())
    conn.close()
    return f"sqlite:///{path}"


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def legacy_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    if request.param == "sqlite":
        yield "sqlite", _sqlite_from_dump(tmp_path)
        return
    dump = (LEGACY / "relay-0.1.postgres.sql").read_text()
    # psql meta-commands (\restrict) are not SQL.
    script = "\n".join(line for line in dump.splitlines() if not line.startswith("\\"))
    with fresh_pg_database() as url:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(script.encode())
        yield "postgres", url


async def test_a_legacy_database_is_upgraded_in_place_and_keeps_everything(
    legacy_db: tuple[str, str], relay_factory: object, client: httpx.AsyncClient
):
    backend, url = legacy_db
    creds = CREDENTIALS[backend]
    # No retention: the dump's events are from 2025 and would be pruned at start.
    config = RelayConfig(heartbeat=0.5, retention=RetentionPolicy(None, None))
    relay: Relay = await relay_factory(url, config)  # type: ignore[operator]
    relay.secrets["acme"] = creds["secret"]
    relay.tokens["desk1"] = creds["token"]
    # Event 1 was pruned by the old relay: the log starts at 2 and says so.
    old = await relay.batch(client, since=0)
    assert [e["seq"] for e in old["events"]] == [2, 3, 4, 5]
    assert old["events"][0]["payload"] == {"id": 2, "message": "event 2"}
    assert old["gap"] is True and old["oldest_retained"] == 2
    # Dedup keys survive (a resend of 3 is a duplicate); new seqs continue after 5.
    assert (await relay.post(client, {"id": 3, "message": "event 3"})).json() == {
        "status": "duplicate"
    }
    assert (await relay.post(client, activity(6))).json() == {"status": "stored", "seq": 6}
    assert relay.store.forward_targets() == ["https://siem.example/in"]
    assert relay.store.outbox_depth() == 5  # 4 old deliveries and the new one
    assert relay.store.subscriber_endpoints("desk1") == ["acme"]
    with relay.store.transaction() as conn:
        version = conn.exec_driver_sql("SELECT version FROM relay_schema_version").all()
    assert version == [(SCHEMA_VERSION,)]
    relay.store.init_schema()  # a second start changes nothing
    assert relay.store.bounds().last_seq == 6


def test_a_database_from_a_newer_relay_is_refused_with_a_sentence(tmp_path: Path):
    url = _sqlite_from_dump(tmp_path)
    store = open_store(url)
    store.init_schema()
    with store.transaction(write=True) as conn:
        conn.exec_driver_sql("UPDATE relay_schema_version SET version = 99")
    with pytest.raises(AdminError, match="newer than this relay"):
        store.init_schema()
    store.close()
