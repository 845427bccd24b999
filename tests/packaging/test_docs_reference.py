"""The docs only mention commands, options and HTTP answers that really exist.

(a) Every `ninja-desk`, `ninja-desk-relay`, `ninja-desk-sim` and `NinjaDesk` (the desktop
    bundle) command line in a fenced code block of docs/*.md, README.md or packaging/README.md:
    its subcommand path exists (and `main([*path, "--help"])` exits 0), every option it uses
    is accepted at that level, and positional choices (`webhook register`) are valid.
(b) The relay's HTTP API reference in docs/relay.md: every route and status code in its
    tables (and the `NNN ...; NNN ...` prose of sections without a table) comes back from a
    real relay on loopback for the situation the row describes. A documented status this test
    has no scenario for fails, so the reference and the test cannot drift apart silently.
(c) docs/index.md links every page in docs/ and every screenshot; relative links and their
    #anchors resolve.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib.util
import io
import json
import re
import shlex
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from ninja_desk.cli import main as desk_cli
from ninja_desk.relay import cli as relay_cli
from ninja_desk.relay.app import create_app, make_runner
from ninja_desk.relay.state import RELAY, RelayConfig
from ninja_desk.relay.store import open_store
from ninja_desk.simulator import cli as sim_cli

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"


def doc_files() -> list[Path]:
    files = [*sorted(DOCS.glob("*.md")), ROOT / "README.md", ROOT / "packaging" / "README.md"]
    return [f for f in files if f.exists()]


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


# -- (a) command lines -----------------------------------------------------------------------


def _bundle_entry() -> Any:
    """packaging/ninja_desk_app.py, the desktop bundle's entry point (`NinjaDesk`)."""
    spec = importlib.util.spec_from_file_location(
        "ninja_desk_bundle_entry", ROOT / "packaging" / "ninja_desk_app.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


BUNDLE_ENTRY = _bundle_entry()
PARSERS: dict[str, Callable[[], argparse.ArgumentParser]] = {
    "ninja-desk": desk_cli.build_parser,
    "ninja-desk-relay": relay_cli.build_parser,
    "ninja-desk-sim": sim_cli.build_parser,
    "NinjaDesk": BUNDLE_ENTRY._parser,
}
MAINS: dict[str, Callable[[list[str]], Any]] = {
    "ninja-desk": desk_cli.main,
    "ninja-desk-relay": relay_cli.main,
    "ninja-desk-sim": sim_cli.main,
    "NinjaDesk": lambda args: BUNDLE_ENTRY.main(["NinjaDesk", *args]),
}
# Words that may stand before a command: `sudo ninja-desk-relay ...`, `VAR=x NinjaDesk ...`.
PREFIXES = {"sudo", "env", "exec", "time", "nohup", "command"}
FENCE = re.compile(r"^\s*(```|~~~)")


# Fences that hold output or data, not commands.
NOT_SHELL = {"text", "json", "ini", "xml", "http", "output"}


def fenced_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) of every line inside a fenced code block, continuations joined."""
    inside = skip = False
    pending, start = "", 0
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if FENCE.match(line):
            inside = not inside
            skip = inside and line.strip().lstrip("`~").strip().lower() in NOT_SHELL
            continue
        if not inside or skip:
            continue
        if not pending:
            start = number
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield start, pending + line
        pending = ""


@dataclass(frozen=True)
class DocCommand:
    where: str
    cli: str
    args: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.where}: {self.cli} {' '.join(self.args)}"


def _segments(line: str) -> Iterator[list[str]]:
    text = line.strip()
    text = re.sub(r"^(\$|>|PS>)\s+", "", text)
    lexer = shlex.shlex(text, posix=True, punctuation_chars="|&;")
    lexer.whitespace_split = True
    tokens = list(lexer)
    segment: list[str] = []
    for token in tokens:
        if token and set(token) <= set("|&;"):
            yield segment
            segment = []
        else:
            segment.append(token)
    yield segment


def _command_index(tokens: list[str]) -> int | None:
    """Where one of our CLIs is invoked in a shell command, or None.

    A path counts in command position (`dist/NinjaDesk/NinjaDesk`, `.venv/bin/ninja-desk`) or
    as `.../bin/NAME` (`systemd-run ... /opt/x/bin/ninja-desk-relay`); a bare name anywhere
    (`docker exec relay ninja-desk-relay ...`), unless it is a package being installed, an
    option's value (`docker build -t ninja-desk-relay .`) or a last word (an image name).
    """
    start = 0
    while start < len(tokens) and (
        tokens[start] in PREFIXES or re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", tokens[start])
    ):
        start += 1
    for index, token in enumerate(tokens):
        name = token.rsplit("/", 1)[-1]
        if name not in PARSERS:
            continue
        if index == start:
            return index
        if "/" in token and not token.endswith(f"/bin/{name}"):
            continue
        if {"install", "pip", "pipx"} & set(tokens[:index]):
            return None  # `pip install ninja-desk` names the package, not the command
        if tokens[index - 1].startswith("-") or index == len(tokens) - 1:
            continue
        return index
    return None


def commands_in(path: Path) -> Iterator[DocCommand]:
    for number, line in fenced_lines(path):
        try:
            segments = list(_segments(line))
        except ValueError:  # unbalanced quotes: not shell (a JSON or SSE sample)
            continue
        for tokens in segments:
            index = _command_index(tokens)
            if index is not None:
                name = tokens[index].rsplit("/", 1)[-1]
                yield DocCommand(f"{rel(path)}:{number}", name, tuple(tokens[index + 1 :]))


def all_commands() -> list[DocCommand]:
    return [c for path in doc_files() for c in commands_in(path)]


def _clean(args: tuple[str, ...]) -> list[str]:
    """Drop usage-notation: [optional] brackets and `...`."""
    out = []
    for arg in args:
        arg = arg.strip("[]")
        if arg and arg not in ("...", "…"):
            out.append(arg)
    return out


def _subparsers(parser: argparse.ArgumentParser) -> argparse._SubParsersAction | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _option(parser: argparse.ArgumentParser, flag: str) -> argparse.Action | None:
    return parser._option_string_actions.get(flag)


def resolve(command: DocCommand) -> list[str]:
    """The subcommand path of a documented command line; fails on anything unknown."""
    parser = PARSERS[command.cli]()
    args = _clean(command.args)
    path: list[str] = []
    positionals: list[str] = []
    ends_early = False
    i = 0
    while i < len(args):
        token = args[i]
        if token.startswith("-") and token != "-":
            flag = token.split("=", 1)[0]
            action = _option(parser, flag)
            scope = " ".join([command.cli, *path])
            assert action is not None, f"{command.where}: `{scope}` has no option {flag}"
            if isinstance(action, argparse._VersionAction | argparse._HelpAction):
                ends_early = True
            takes_value = action.nargs != 0 and "=" not in token
            if action.nargs == "?" and (i + 1 >= len(args) or args[i + 1].startswith("-")):
                takes_value = False
            i += 2 if takes_value else 1
            continue
        sub = _subparsers(parser)
        if sub is not None and not positionals and token not in ("",):
            scope = " ".join([command.cli, *path])
            assert token in sub.choices, (
                f"{command.where}: `{scope}` has no subcommand {token!r} "
                f"(it has {', '.join(sorted(sub.choices))})"
            )
            path.append(token)
            parser = sub.choices[token]
        else:
            positionals.append(token)
        i += 1
    sub = _subparsers(parser)
    if sub is not None and sub.required and not ends_early:
        pytest.fail(f"{command.where}: `{command.cli} {' '.join(path)}` needs a subcommand")
    declared = [a for a in parser._actions if not a.option_strings and a is not sub]
    open_ended = any(a.nargs in ("*", "+", argparse.REMAINDER) for a in declared)
    if len(positionals) > len(declared) and not open_ended and not ends_early:
        pytest.fail(
            f"{command.where}: `{command.cli} {' '.join(path)}` takes "
            f"{len(declared)} argument(s), the docs give {positionals}"
        )
    for action, value in zip(declared, positionals, strict=False):
        if action.choices is not None and not value.startswith(("<", "$")):
            assert value in action.choices, (
                f"{command.where}: {value!r} is not one of {sorted(action.choices)} "
                f"for `{command.cli} {' '.join(path)}`"
            )
    return path


COMMANDS = all_commands()


def test_docs_mention_commands_of_each_cli() -> None:
    found = {c.cli for c in COMMANDS}
    # The walk below would pass vacuously if the extraction broke.
    assert {"ninja-desk", "ninja-desk-relay"} <= found, found
    assert len(COMMANDS) >= 20, [str(c) for c in COMMANDS]


@pytest.mark.parametrize("command", COMMANDS, ids=[c.where for c in COMMANDS])
def test_documented_command_exists(command: DocCommand) -> None:
    path = resolve(command)
    out = io.StringIO()
    with contextlib.redirect_stdout(out), pytest.raises(SystemExit) as exited:
        MAINS[command.cli]([*path, "--help"])
    assert exited.value.code == 0, f"{command}: --help exited {exited.value.code}"
    assert "usage:" in out.getvalue()


def _leaves(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> Iterator[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    sub = _subparsers(parser)
    if sub is None:
        yield path, parser
        return
    for name, child in sub.choices.items():
        yield from _leaves(child, (*path, name))


# `ninja-desk` runs `args.handler(args)`: a leaf without one parses (so `--help` works) but
# crashes with AttributeError when a user runs it (`psa migrate` did, until 81d3e8d).
@pytest.mark.parametrize(
    "path", [path for path, _ in _leaves(desk_cli.build_parser())], ids=lambda p: " ".join(p)
)
def test_every_ninja_desk_command_has_a_handler(path: tuple[str, ...]) -> None:
    leaf = dict(_leaves(desk_cli.build_parser()))[path]
    assert callable(leaf.get_default("handler")), f"`ninja-desk {' '.join(path)}` has no handler"


def test_the_walk_rejects_what_does_not_exist() -> None:
    for bad in (
        DocCommand("x", "ninja-desk", ("sync", "--fast")),
        DocCommand("x", "ninja-desk", ("teleport",)),
        DocCommand("x", "ninja-desk", ("webhook", "replace")),
        DocCommand("x", "ninja-desk-relay", ("endpoint",)),
        DocCommand("x", "ninja-desk", ("status", "now")),
        DocCommand("x", "NinjaDesk", ("--smoke",)),
    ):
        with pytest.raises((AssertionError, pytest.fail.Exception)):
            resolve(bad)


# -- (b) the relay's HTTP API reference ------------------------------------------------------

ROUTE_HEADING = re.compile(r"^###\s+`(GET|POST|PUT|DELETE|PATCH|HEAD)\s+(/[^`\s]*)`")
STATUS_CELL = re.compile(r"^\|\s*([1-5]\d\d)\b")
PROSE_STATUS = re.compile(r"(?:^|;\s*)([1-5]\d\d)\s")
QUALIFIER = re.compile(r'"(?:reason|status)":\s*"([a-z_]+)"')
MEDIA = re.compile(r"\b(text/event-stream|application/json)\b")


@dataclass(frozen=True)
class Documented:
    method: str
    path: str
    status: int
    qualifier: str | None
    text: str

    @property
    def route(self) -> tuple[str, str]:
        return self.method, self.path


def relay_reference() -> list[Documented]:
    text = (DOCS / "relay.md").read_text(encoding="utf-8")
    rows: list[Documented] = []
    route: tuple[str, str] | None = None
    section: list[str] = []

    def flush() -> None:
        if route is None:
            return
        table = [line for line in section if STATUS_CELL.match(line)]
        if table:
            for line in table:
                status = int(STATUS_CELL.match(line).group(1))  # type: ignore[union-attr]
                found = QUALIFIER.search(line) or MEDIA.search(line.split("|")[1])
                rows.append(
                    Documented(*route, status, found.group(1) if found else None, line.strip())
                )
            return
        in_code = False
        for line in section:
            if FENCE.match(line):
                in_code = not in_code
                continue
            if in_code or line.lstrip().startswith("|"):
                continue
            for match in PROSE_STATUS.finditer(line):
                rows.append(Documented(*route, int(match.group(1)), None, line.strip()))

    for line in text.splitlines():
        heading = ROUTE_HEADING.match(line)
        if heading or line.startswith("## ") or line.startswith("### "):
            flush()
            route = (heading.group(1), heading.group(2)) if heading else None
            section = []
        else:
            section.append(line)
    flush()
    return rows


@dataclass
class RelayUnderTest:
    url: str
    db: str
    app: web.Application
    runner: web.AppRunner
    secret: str
    token: str
    revoked: str

    def hook(self, name: str = "acme") -> str:
        return f"{self.url}/hooks/{name}"

    def auth(self, token: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {token or self.token}"}


def _admin(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert relay_cli.main([*argv, "--json"]) == 0, argv
    return json.loads(out.getvalue())


async def _start_relay(tmp_path: Path) -> RelayUnderTest:
    db = f"sqlite:///{tmp_path / 'relay.db'}"
    # Set up as an admin would, through the documented CLI.
    await asyncio.to_thread(_admin, "init", "--db", db)
    secret = (await asyncio.to_thread(_admin, "endpoint", "add", "acme", "--db", db))["secret"]
    token = (await asyncio.to_thread(_admin, "subscriber", "add", "desk1", "--db", db))["token"]
    revoked = (await asyncio.to_thread(_admin, "subscriber", "add", "gone", "--db", db))["token"]
    await asyncio.to_thread(_admin, "subscriber", "revoke", "gone", "--db", db)
    app = create_app(open_store(db), RelayConfig(heartbeat=0.5))
    runner = make_runner(app, shutdown_timeout=2.0)  # the relay's timeouts, as `serve` has them
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    url = f"http://127.0.0.1:{runner.addresses[0][1]}"
    return RelayUnderTest(url, db, app, runner, secret, token, revoked)


Scenario = Callable[[RelayUnderTest, httpx.AsyncClient], Awaitable[httpx.Response]]


def _activity(activity_id: int) -> dict[str, Any]:
    return {"id": activity_id, "activityType": "CONDITION", "statusCode": "TRIGGERED"}


async def _post(
    relay: RelayUnderTest, client: httpx.AsyncClient, content: bytes, **headers: str
) -> httpx.Response:
    sent = {"X-NinjaDesk-Secret": relay.secret, "Content-Type": "application/json"}
    sent.update({k.replace("_", "-"): v for k, v in headers.items()})
    return await client.post(relay.hook(), content=content, headers=sent)


async def _stored(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, json.dumps(_activity(1001)).encode())


async def _duplicate(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    first = await _post(relay, client, json.dumps(_activity(1002)).encode())
    assert first.json()["status"] == "stored"
    return await _post(relay, client, json.dumps(_activity(1002)).encode())


async def _malformed(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, b'{"id": NaN}')


async def _not_object(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, b"[1, 2]")


async def _wrong_secret(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, b'{"id": 3}', X_NinjaDesk_Secret="not-the-secret")


async def _unknown_endpoint(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await client.post(
        relay.hook("ghost"), json={"id": 4}, headers={"X-NinjaDesk-Secret": relay.secret}
    )


async def _wrong_method(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await client.get(relay.hook())


async def _too_large(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    body = b'{"id": 5, "pad": "' + b"x" * (1024 * 1024) + b'"}'
    return await _post(relay, client, body)


async def _wrong_type(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, b'{"id": 6}', Content_Type="text/plain")


async def _bogus_expect(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    return await _post(relay, client, b'{"id": 7}', Expect="teapot")


async def _stream(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    async with client.stream("GET", f"{relay.url}/events", headers=relay.auth()) as response:
        first = b""
        if response.status_code == 200:
            async for chunk in response.aiter_bytes():
                first += chunk
                if b"\n\n" in first:
                    break
            assert first.startswith(b"retry: 2000\n: connected"), first
        return response


async def _batch(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get(
        f"{relay.url}/events", params={"since": 0, "wait": 0, "limit": 10}, headers=relay.auth()
    )
    assert set(response.json()) == {"events", "oldest_retained", "last_seq", "gap"}
    return response


async def _bad_cursor(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    for params, headers in (
        ({"since": "-1", "wait": "0"}, {}),
        ({"since": "soon", "wait": "0"}, {}),
        ({"wait": "0", "limit": "many"}, {}),
        ({"wait": "0"}, {"Last-Event-ID": "x"}),
    ):
        response = await client.get(
            f"{relay.url}/events", params=params, headers={**relay.auth(), **headers}
        )
        assert response.status_code == 400, (params, headers, response.text)
    return response


async def _unauthorized(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    for headers in ({}, relay.auth("made-up"), relay.auth(relay.revoked)):
        response = await client.get(f"{relay.url}/events", params={"wait": 0}, headers=headers)
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    return response


async def _healthy(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get(f"{relay.url}/healthz")
    assert set(response.json()) == {"status", "last_seq", "oldest_retained"}
    return response


async def _metrics(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    response = await client.get(f"{relay.url}/metrics")
    assert "ninjadesk_relay_received_total" in response.text
    return response


async def _database_gone(relay: RelayUnderTest) -> None:
    # Like a lost database: every query from now on fails.
    await asyncio.to_thread(relay.app[RELAY].store.close)


async def _hook_store_down(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    await _database_gone(relay)
    await asyncio.sleep(1.1)  # past the endpoint cache, so nothing is answered from memory
    return await _post(relay, client, json.dumps(_activity(1003)).encode())


async def _healthz_store_down(relay: RelayUnderTest, client: httpx.AsyncClient) -> httpx.Response:
    await _database_gone(relay)
    return await client.get(f"{relay.url}/healthz")


HOOK, EVENTS = ("POST", "/hooks/{endpoint}"), ("GET", "/events")
SCENARIOS: dict[tuple[str, str, int, str | None], Scenario] = {
    (*HOOK, 200, "stored"): _stored,
    (*HOOK, 200, "duplicate"): _duplicate,
    (*HOOK, 400, "malformed_json"): _malformed,
    (*HOOK, 400, "not_object"): _not_object,
    (*HOOK, 401, "unauthorized"): _wrong_secret,
    (*HOOK, 404, "unknown_endpoint"): _unknown_endpoint,
    (*HOOK, 405, None): _wrong_method,
    (*HOOK, 413, "too_large"): _too_large,
    (*HOOK, 415, "unsupported_media_type"): _wrong_type,
    (*HOOK, 417, None): _bogus_expect,
    (*HOOK, 503, None): _hook_store_down,
    (*EVENTS, 200, "text/event-stream"): _stream,
    (*EVENTS, 200, "application/json"): _batch,
    (*EVENTS, 400, None): _bad_cursor,
    (*EVENTS, 401, None): _unauthorized,
    ("GET", "/healthz", 200, None): _healthy,
    ("GET", "/healthz", 503, None): _healthz_store_down,
    ("GET", "/metrics", 200, None): _metrics,
}

REFERENCE = relay_reference()


def test_relay_reference_was_found() -> None:
    routes = {row.route for row in REFERENCE}
    assert {HOOK, EVENTS, ("GET", "/healthz")} <= routes, routes
    assert len(REFERENCE) >= 12, REFERENCE


def test_every_relay_route_is_documented(tmp_path: Path) -> None:
    text = (DOCS / "relay.md").read_text(encoding="utf-8")
    headings = {
        (m.group(1), m.group(2))
        for m in (ROUTE_HEADING.match(line) for line in text.splitlines())
        if m
    }
    app = create_app(open_store(f"sqlite:///{tmp_path / 'r.db'}"))
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.method != "HEAD" and route.resource is not None
    }
    assert served <= headings, f"routes missing from docs/relay.md: {served - headings}"


def _scenario_for(row: Documented) -> Scenario:
    key = (row.method, row.path, row.status, row.qualifier)
    scenario = SCENARIOS.get(key) or SCENARIOS.get((row.method, row.path, row.status, None))
    if scenario is None:
        pytest.fail(
            f"docs/relay.md documents {row.method} {row.path} -> {row.status} "
            f"({row.qualifier or 'no qualifier'}): {row.text!r}, and this test has no scenario "
            "that produces it. Add one to SCENARIOS (or fix the reference)."
        )
    return scenario


@pytest.mark.parametrize(
    "row",
    REFERENCE,
    ids=[f"{r.method} {r.path} {r.status} {r.qualifier or ''}".strip() for r in REFERENCE],
)
async def test_documented_status_comes_back(row: Documented, tmp_path: Path) -> None:
    scenario = _scenario_for(row)
    relay = await _start_relay(tmp_path)
    try:
        async with httpx.AsyncClient(timeout=10) as client:
            response = await scenario(relay, client)
        assert response.status_code == row.status, (row.text, response.text)
        if row.qualifier in ("stored", "duplicate"):
            assert response.json()["status"] == row.qualifier
        elif row.qualifier in ("text/event-stream", "application/json"):
            assert response.headers["Content-Type"].startswith(row.qualifier)
        elif row.qualifier is not None:
            assert response.json()["reason"] == row.qualifier, response.text
    finally:
        await relay.runner.cleanup()


def test_every_scenario_is_documented() -> None:
    """The reverse direction: a behaviour the test knows but the reference lost."""
    documented = {(r.method, r.path, r.status, r.qualifier) for r in REFERENCE}
    loose = {(r.method, r.path, r.status) for r in REFERENCE}
    for key in SCENARIOS:
        if key[:3] == ("GET", "/metrics", 200):
            continue  # documented as a route with a table of metrics, not a status table
        assert key in documented or (key[3] is None and key[:3] in loose), (
            f"docs/relay.md no longer documents {key}"
        )


# -- (c) the index and links -----------------------------------------------------------------

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(path: Path) -> set[str]:
    anchors, in_code = set(), False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            anchors.add(_slug(line.lstrip("#")))
    return anchors


def test_index_links_every_doc_and_screenshot() -> None:
    index = (DOCS / "index.md").read_text(encoding="utf-8")
    targets = {t.split("#")[0] for t in LINK.findall(index)}
    pages = {p.name for p in DOCS.glob("*.md")} - {"index.md"}
    assert pages <= targets, f"docs/index.md does not link {sorted(pages - targets)}"
    shots = {f"screenshots/{p.name}" for p in (DOCS / "screenshots").glob("*.png")}
    assert shots <= targets, f"docs/index.md does not show {sorted(shots - targets)}"


@pytest.mark.parametrize("page", doc_files(), ids=[rel(p) for p in doc_files()])
def test_relative_links_resolve(page: Path) -> None:
    in_code = False
    for line in page.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in LINK.findall(line):
            if re.match(r"^[a-z]+:", target):
                continue  # http(s), mailto: not checked offline
            file_part, _, anchor = target.partition("#")
            dest = (page.parent / file_part).resolve() if file_part else page
            assert dest.exists(), f"{rel(page)} links to missing {target}"
            if anchor and dest.suffix == ".md":
                assert anchor in _anchors(dest), f"{rel(page)}: no #{anchor} in {rel(dest)}"
