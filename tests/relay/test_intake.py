"""POST /hooks/{endpoint}: every answer, and what each one stores (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json

import httpx

from ninja_desk.relay import admin
from ninja_desk.relay.app import MAX_BODY
from tests.relay.conftest import Relay, activity


async def stored(relay: Relay, client: httpx.AsyncClient) -> list[dict]:
    return (await relay.batch(client))["events"]


async def test_accepts_and_stores_before_answering(relay: Relay, client: httpx.AsyncClient):
    response = await relay.post(client, activity(177210))
    assert response.status_code == 200
    assert response.json() == {"status": "stored", "seq": 1}
    # The 200 came after commit: a brand-new connection to the database sees the event.
    events, _ = relay.store.read_after(0, 10)
    assert [e.seq for e in events] == [1]
    assert json.loads(events[0].payload) == activity(177210)
    [event] = await stored(relay, client)
    assert event["endpoint"] == "acme" and event["payload"]["id"] == 177210


async def test_duplicate_activity_id_answers_200_without_new_event(
    relay: Relay, client: httpx.AsyncClient
):
    first = await relay.post(client, activity(5))
    again = await relay.post(client, activity(5, message="resent"))
    assert first.json()["status"] == "stored"
    assert again.status_code == 200 and again.json() == {"status": "duplicate"}
    assert len(await stored(relay, client)) == 1


async def test_dedup_is_per_endpoint(relay: Relay, client: httpx.AsyncClient):
    relay.endpoint("globex")
    admin.bind_subscriber(relay.store, "desk1", ["globex"])
    assert (await relay.post(client, activity(5))).json()["status"] == "stored"
    other = await relay.post(client, activity(5), endpoint="globex")
    assert other.json()["status"] == "stored"
    assert [e["endpoint"] for e in await stored(relay, client)] == ["acme", "globex"]


async def test_payload_without_id_is_stored_every_time(relay: Relay, client: httpx.AsyncClient):
    for _ in range(2):
        response = await relay.post(client, activity(None))
        assert response.json()["status"] == "stored"
    assert len(await stored(relay, client)) == 2


async def test_concurrent_duplicates_store_one(relay: Relay, client: httpx.AsyncClient):
    responses = await asyncio.gather(*(relay.post(client, activity(9)) for _ in range(20)))
    assert all(r.status_code == 200 for r in responses)
    assert sorted(r.json()["status"] for r in responses).count("stored") == 1
    assert len(await stored(relay, client)) == 1


async def test_missing_secret_is_401_and_stores_nothing(relay: Relay, client: httpx.AsyncClient):
    response = await client.post(f"{relay.url}/hooks/acme", json=activity(1))
    assert response.status_code == 401
    assert await stored(relay, client) == []


async def test_wrong_secret_is_401(relay: Relay, client: httpx.AsyncClient):
    relay.endpoint("globex")
    # Another endpoint's valid secret is still the wrong secret here.
    for secret in ("nope", relay.secrets["globex"]):
        response = await relay.post(client, activity(1), secret=secret)
        assert response.status_code == 401
    assert await stored(relay, client) == []


async def test_endpoint_comes_from_path_not_payload(relay: Relay, client: httpx.AsyncClient):
    await relay.post(client, activity(1, endpoint="globex", tenant="evil"))
    [event] = await stored(relay, client)
    assert event["endpoint"] == "acme"


async def test_unknown_endpoint_is_404(relay: Relay, client: httpx.AsyncClient):
    response = await relay.post(client, activity(1), endpoint="nobody", secret="x")
    assert response.status_code == 404
    assert await stored(relay, client) == []


async def test_body_over_one_mib_is_413(relay: Relay, client: httpx.AsyncClient):
    big = activity(1, message="x" * MAX_BODY)
    response = await relay.post(client, big)
    assert response.status_code == 413
    # Chunked upload without Content-Length: the limit holds while reading.
    body = json.dumps(big).encode()

    async def chunks():
        for i in range(0, len(body), 65536):
            yield body[i : i + 65536]

    response = await client.post(
        f"{relay.url}/hooks/acme",
        content=chunks(),
        headers={"X-NinjaDesk-Secret": relay.secrets["acme"], "Content-Type": "application/json"},
    )
    assert response.status_code == 413
    assert await stored(relay, client) == []


async def test_body_of_exactly_one_mib_is_accepted(relay: Relay, client: httpx.AsyncClient):
    skeleton = json.dumps({"id": 1, "message": ""}, separators=(",", ":")).encode()
    body = skeleton.replace(b'""', b'"' + b"x" * (MAX_BODY - len(skeleton)) + b'"')
    assert len(body) == MAX_BODY
    response = await client.post(
        f"{relay.url}/hooks/acme",
        content=body,
        headers={"X-NinjaDesk-Secret": relay.secrets["acme"], "Content-Type": "application/json"},
    )
    assert response.status_code == 200


async def test_non_json_content_type_is_415(relay: Relay, client: httpx.AsyncClient):
    for content_type in ("text/plain", "application/x-www-form-urlencoded", None):
        headers = {"X-NinjaDesk-Secret": relay.secrets["acme"]}
        if content_type:
            headers["Content-Type"] = content_type
        response = await client.post(
            f"{relay.url}/hooks/acme", content=b'{"id": 1}', headers=headers
        )
        assert response.status_code == 415, content_type
    assert await stored(relay, client) == []


async def test_json_content_type_with_charset_and_suffix(relay: Relay, client: httpx.AsyncClient):
    for i, content_type in enumerate(
        ("application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.ninja+json")
    ):
        response = await client.post(
            f"{relay.url}/hooks/acme",
            content=json.dumps({"id": i}).encode(),
            headers={"X-NinjaDesk-Secret": relay.secrets["acme"], "Content-Type": content_type},
        )
        assert response.status_code == 200, content_type


async def test_malformed_json_and_non_objects_are_400(relay: Relay, client: httpx.AsyncClient):
    bodies = [
        b"",
        b"{",
        b"{'id': 1}",
        b"NaN",
        b'{"id": NaN}',
        b"\xff\xfe{}",
        b"[1, 2]",
        b'"text"',
        b"42",
        b"null",
        b"[" * 100_000,
    ]
    for body in bodies:
        response = await client.post(
            f"{relay.url}/hooks/acme",
            content=body,
            headers={
                "X-NinjaDesk-Secret": relay.secrets["acme"],
                "Content-Type": "application/json",
            },
        )
        assert response.status_code == 400, body[:20]
    assert await stored(relay, client) == []


async def test_rejections_are_counted_by_reason(relay: Relay, client: httpx.AsyncClient):
    await relay.post(client, activity(1), secret="wrong")
    await relay.post(client, activity(1), endpoint="nobody", secret="x")
    await relay.post(client, activity(2))
    await relay.post(client, activity(2))
    text = (await client.get(f"{relay.url}/metrics")).text
    assert 'ninjadesk_relay_rejected_total{reason="unauthorized"} 1' in text
    assert 'ninjadesk_relay_rejected_total{reason="unknown_endpoint"} 1' in text
    assert "ninjadesk_relay_received_total 1" in text
    assert "ninjadesk_relay_duplicates_total 1" in text


async def test_database_outage_is_503_not_500(relay: Relay, client: httpx.AsyncClient):
    secret = relay.secrets["acme"]
    relay.store.close()  # every later query fails, like a lost database
    await asyncio.sleep(1.1)  # past the endpoint cache
    response = await relay.post(client, activity(1), secret=secret)
    assert response.status_code == 503
    assert (await client.get(f"{relay.url}/healthz")).status_code == 503
    events = await client.get(
        f"{relay.url}/events", headers={"Authorization": f"Bearer {relay.tokens['desk1']}"}
    )
    assert events.status_code == 503
