"""Fuzz /hooks/{endpoint} with malformed bodies and headers: never a 5xx, nothing stored."""

from __future__ import annotations

import asyncio
import gzip
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ninja_desk.relay import admin
from tests.relay.conftest import Relay, start_relay

# h11 (the client) refuses header values with outer whitespace, so strip them.
HEADER_TEXT = st.text(st.characters(min_codepoint=32, max_codepoint=126), max_size=60).map(
    str.strip
)
JSON_TYPES = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "application/cloudevents+json"]
)
OTHER_TYPES = st.one_of(
    st.sampled_from(["text/plain", "application/xml", "multipart/form-data", "", "json", "*/*"]),
    HEADER_TEXT.filter(lambda t: "json" not in t.lower()),
)
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def _is_object(body: bytes) -> bool:
    try:
        return isinstance(json.loads(body), dict)
    except (ValueError, RecursionError):
        return False


# Bodies that must be refused even with the right secret: not JSON, or JSON but not an object.
BAD_BODIES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200).map(str.encode),
    JSONISH.filter(lambda v: not isinstance(v, dict)).map(lambda v: json.dumps(v).encode()),
    st.sampled_from(
        [
            b"{",
            b'{"id": 1',
            b'{"id": NaN}',
            b'{"a": Infinity}',
            b"[" * 5000,
            b'{"id": 1}{"id": 2}',
            b"\xef\xbb\xbf{,}",
            gzip.compress(b'{"id": 1}'),
        ]
    ),
).filter(lambda b: not _is_object(b))
ANY_BODY = st.one_of(BAD_BODIES, JSONISH.map(lambda v: json.dumps(v).encode()))
EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Encoding",
            "X-Forwarded-For",
            "Accept",
            "X-NinjaDesk-Endpoint",
            "Content-Language",
            "Expect",
        ]
    ),
    HEADER_TEXT,
    max_size=3,
)


@pytest.fixture(scope="module")
def threaded_relay(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Relay]:
    """A relay on its own loop in a thread, so sync hypothesis tests can call it."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    url = f"sqlite:///{tmp_path_factory.mktemp('fuzz')}/relay.db"
    relay = asyncio.run_coroutine_threadsafe(start_relay(url), loop).result(10)
    relay.secrets["acme"] = admin.add_endpoint(relay.store, "acme")
    try:
        yield relay
    finally:
        asyncio.run_coroutine_threadsafe(relay.runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        loop.close()


@pytest.fixture(scope="module")
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as client:
        yield client


def _post(http: httpx.Client, url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    try:
        return http.post(url, content=body, headers=headers)
    except httpx.RemoteProtocolError:
        # The server may close the connection on an unreadable body; that is not a 5xx.
        return httpx.Response(400)


FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.filter_too_much,
    ],
)


@FUZZ
@given(body=BAD_BODIES, content_type=JSON_TYPES, extra=EXTRA_HEADERS)
def test_right_secret_bad_body(
    threaded_relay: Relay, http: httpx.Client, body: bytes, content_type: str, extra: dict[str, str]
) -> None:
    headers = {
        **extra,
        "X-NinjaDesk-Secret": threaded_relay.secrets["acme"],
        "Content-Type": content_type,
    }
    response = _post(http, f"{threaded_relay.url}/hooks/acme", body, headers)
    assert 400 <= response.status_code < 500, response.text
    assert threaded_relay.store.bounds().last_seq == 0


@FUZZ
@given(body=ANY_BODY, content_type=OTHER_TYPES, extra=EXTRA_HEADERS)
def test_right_secret_wrong_content_type(
    threaded_relay: Relay, http: httpx.Client, body: bytes, content_type: str, extra: dict[str, str]
) -> None:
    headers = {**extra, "X-NinjaDesk-Secret": threaded_relay.secrets["acme"]}
    if content_type:
        headers["Content-Type"] = content_type
    response = _post(http, f"{threaded_relay.url}/hooks/acme", body, headers)
    assert 400 <= response.status_code < 500, response.text
    assert threaded_relay.store.bounds().last_seq == 0


@FUZZ
@given(
    body=ANY_BODY,
    content_type=st.one_of(JSON_TYPES, OTHER_TYPES),
    secret=st.one_of(st.none(), HEADER_TEXT),
    endpoint=st.one_of(st.just("acme"), st.text()),
    extra=EXTRA_HEADERS,
)
def test_wrong_or_missing_secret(
    threaded_relay: Relay,
    http: httpx.Client,
    body: bytes,
    content_type: str,
    secret: str | None,
    endpoint: str,
    extra: dict[str, Any],
) -> None:
    headers = {**extra, "Content-Type": content_type}
    if secret is not None:
        headers["X-NinjaDesk-Secret"] = secret
    url = f"{threaded_relay.url}/hooks/{quote(endpoint, safe='')}"
    response = _post(http, url, body, headers)
    # 401/404 from the relay, or 4xx from aiohttp itself (e.g. 417 for a bogus Expect).
    assert 400 <= response.status_code < 500, response.text
    assert threaded_relay.store.bounds().last_seq == 0
