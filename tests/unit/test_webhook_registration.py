from __future__ import annotations

import json

import httpx
import pytest
import respx

from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.rate_limit import RateLimiter
from ninja_desk.ninjaone.retry import RetryPolicy
from ninja_desk.ninjaone.tokens import MemoryTokenStore, OAuthTokenProvider, TokenSet
from ninja_desk.ninjaone.webhooks import (
    NOT_ADMIN_MESSAGE,
    PSA_CONFLICT_MESSAGE,
    SECRET_HEADER,
    WebhookError,
    WebhookNotAllowed,
    WebhookPsaConflict,
    build_webhook_config,
    new_webhook_secret,
    register_webhook,
    unregister_webhook,
)

BASE = "https://eu.ninjarmm.com"
RELAY = "https://relay.example.com/hooks/ninjaone"


def client() -> NinjaOneClient:
    tokens = OAuthTokenProvider(
        BASE, "desk", store=MemoryTokenStore(TokenSet("tok", expires_at=9e9, refresh_token="r"))
    )
    return NinjaOneClient(
        BASE, tokens, limiter=RateLimiter(1000, 100), retry=RetryPolicy(base_delay=0.001)
    )


def test_default_config_body() -> None:
    secret = new_webhook_secret()
    config = build_webhook_config(RELAY, secret)
    body = config.body()
    assert body["url"] == RELAY
    assert body["headers"] == [{"name": SECRET_HEADER, "value": secret}]
    assert body["expand"] == ["device", "organization", "location"]
    acts = body["activities"]
    for code in (
        "NODE_CREATED",
        "NODE_UPDATED",
        "NODE_DELETED",
        "NODE_MANUALLY_APPROVED",
        "SYSTEM_REBOOTED",
        "CPU_ADDED",
        "DISK_VOLUME_REMOVED",
    ):
        assert code in acts["SYSTEM"]
    assert acts["CONDITION"] == ["TRIGGERED", "RESET", "ACKNOWLEDGED"]
    assert acts["PATCH_MANAGEMENT"] == ["*"] and acts["SOFTWARE_PATCH_MANAGEMENT"] == ["*"]
    assert "organizationIds" not in body
    assert secret not in repr(config)
    assert build_webhook_config(RELAY, secret, organization_ids=[2, 1]).body()[
        "organizationIds"
    ] == [2, 1]


@pytest.mark.parametrize("url", ["ftp://x", "relay.example.com", ""])
def test_bad_relay_url(url: str) -> None:
    with pytest.raises(WebhookError):
        build_webhook_config(url, "s")


@respx.mock
async def test_put_register_with_retry_on_429_and_5xx() -> None:
    route = respx.put(f"{BASE}/v2/webhook").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "0"}),
            httpx.Response(503),
            httpx.Response(204),
        ]
    )
    async with client() as c:
        await register_webhook(c, build_webhook_config(RELAY, "sekrit"))
    assert route.call_count == 3
    sent = json.loads(route.calls.last.request.content)
    assert sent["headers"][0]["value"] == "sekrit"
    assert route.calls.last.request.headers["authorization"] == "Bearer tok"


@respx.mock
async def test_not_an_admin_is_one_sentence() -> None:
    respx.put(f"{BASE}/v2/webhook").mock(
        return_value=httpx.Response(
            403,
            json={
                "resultCode": "FAILURE",
                "errorMessage": "Only system administrators can configure webhooks",
            },
        )
    )
    async with client() as c:
        with pytest.raises(WebhookNotAllowed) as caught:
            await register_webhook(c, build_webhook_config(RELAY, "s"))
    assert str(caught.value) == NOT_ADMIN_MESSAGE
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")


@respx.mock
async def test_delete_has_no_body_and_explains_psa_conflict() -> None:
    route = respx.delete(f"{BASE}/v2/webhook").mock(
        side_effect=[
            httpx.Response(204),
            httpx.Response(403, json={"errorMessage": "Different PSA is already configured"}),
        ]
    )
    async with client() as c:
        await unregister_webhook(c)
        assert route.calls.last.request.content == b""
        with pytest.raises(WebhookPsaConflict) as caught:
            await unregister_webhook(c)
    assert str(caught.value) == PSA_CONFLICT_MESSAGE


@pytest.mark.parametrize(
    ("given", "endpoint", "hook"),
    [
        ("https://relay.example.com", None, "https://relay.example.com/hooks/ninjaone"),
        ("https://relay.example.com/", "acme", "https://relay.example.com/hooks/acme"),
        ("https://relay.example.com/hooks/acme", None, "https://relay.example.com/hooks/acme"),
        (
            "https://r.example.com/base/hooks/acme/",
            "other",
            "https://r.example.com/base/hooks/acme",
        ),
    ],
)
def test_the_hook_address_is_built_from_the_relay_base(
    given: str, endpoint: str | None, hook: str
) -> None:
    from ninja_desk.ninjaone.webhooks import relay_hook_url, split_relay_url

    assert relay_hook_url(given, endpoint) == hook
    assert not split_relay_url(given)[0].endswith(("/hooks", "/"))
