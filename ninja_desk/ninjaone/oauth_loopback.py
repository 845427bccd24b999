"""Sign in to NinjaOne from a desktop app: RFC 8252 loopback redirect with PKCE (RFC 7636).

The flow: bind a one-shot HTTP listener on 127.0.0.1 (never 0.0.0.0), open the system
browser on `/ws/oauth/authorize` with a PKCE challenge and a random `state`, wait for the
browser to come back to `/callback`, check `state`, exchange the code, and show a plain page
saying how it went. Anything else the browser asks for (favicon, preconnects) gets a 404 and
the flow goes on; a callback with the wrong `state` gets a 400 and the flow goes on too, so a
stray or hostile request cannot cancel the user's sign-in. The callback query holds the
authorization code, so it is never logged.

Also here: `login_client_credentials` for the headless agent ("API Services" apps).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import html
import ipaddress
import logging
import secrets
import webbrowser
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.pkce import PkcePair, make_state, new_pkce
from ninja_desk.ninjaone.redaction import redact
from ninja_desk.ninjaone.tokens import TokenEndpointError, TokenSet, request_token

log = logging.getLogger(__name__)

AUTHORIZE_PATH = "/ws/oauth/authorize"
CALLBACK_PATH = "/callback"
LOOPBACK_HOST = "127.0.0.1"
DEFAULT_LOGIN_SCOPES = ("monitoring", "management", "control", "offline_access")
DEFAULT_TIMEOUT = 300.0
_MAX_REQUEST_BYTES = 16 * 1024
_HEADER_TIMEOUT = 10.0


class OAuthLoginError(NinjaOneError):
    """The browser sign-in failed; the message says why and what to do."""


class OAuthDenied(OAuthLoginError):
    pass


class OAuthStateMismatch(OAuthLoginError):
    """Kept for callers that catch it; a wrong state no longer ends the sign-in."""


class OAuthTimeout(OAuthLoginError):
    pass


class OAuthCancelled(OAuthLoginError):
    pass


class LoopbackPortInUse(OAuthLoginError):
    pass


def login_scopes(*, allow_control: bool = True, extra: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Default scopes; drop `control` when the API client app is not allowed remote control."""
    scopes = [s for s in DEFAULT_LOGIN_SCOPES if allow_control or s != "control"]
    scopes += [s for s in extra if s not in scopes]
    return tuple(scopes)


@dataclass(slots=True)
class LoopbackSettings:
    base_url: str
    client_id: str
    # "Web" apps have a secret (from the keyring); "Native" and "Single page" apps have none.
    client_secret: str | None = field(default=None, repr=False)
    scopes: tuple[str, ...] = DEFAULT_LOGIN_SCOPES
    port: int = 0  # 0: any free port (NinjaOne must accept any loopback port then)
    timeout: float = DEFAULT_TIMEOUT
    host: str = LOOPBACK_HOST
    callback_path: str = CALLBACK_PATH

    def __post_init__(self) -> None:
        if not ipaddress.ip_address(self.host).is_loopback:
            raise ValueError("the OAuth listener only binds to a loopback address")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be between 0 and 65535")


_PAGE = (
    "<!doctype html><html><head><meta charset='utf-8'><title>NinjaDesk</title></head>"
    "<body style='font-family:sans-serif;max-width:36em;margin:4em auto'>"
    "<h1>{title}</h1><p>{text}</p></body></html>"
)


def _page(title: str, text: str) -> bytes:
    return _PAGE.format(title=html.escape(title), text=html.escape(text)).encode("utf-8")


class LoopbackLogin:
    """One browser sign-in. `await run()`, or `start()` / `wait()` to show the URL yourself."""

    def __init__(
        self,
        settings: LoopbackSettings,
        *,
        opener: Callable[[str], object] | None = webbrowser.open,
        http: httpx.AsyncClient | None = None,
        on_url: Callable[[str], None] | None = None,
    ) -> None:
        self.settings = settings
        self._opener = opener
        self._on_url = on_url
        self._http = http
        self._pkce: PkcePair = new_pkce()
        self._state = make_state()
        self._server: asyncio.Server | None = None
        self._result: asyncio.Future[TokenSet] | None = None
        self._handlers: set[asyncio.Task[None]] = set()
        self.port: int | None = None
        self.not_found_count = 0  # requests answered 404 (favicon, preconnect, probes)
        self._claimed = False  # the first callback owns the flow; a double submit gets 410
        self.refused_count = 0  # callbacks refused for a wrong state (the flow kept waiting)

    # -- lifecycle ---------------------------------------------------------------------------

    @property
    def redirect_uri(self) -> str:
        if self.port is None:
            raise RuntimeError("start() the listener first")
        return f"http://{self.settings.host}:{self.port}{self.settings.callback_path}"

    @property
    def authorize_url(self) -> str:
        s = self.settings
        query = {
            "response_type": "code",
            "client_id": s.client_id,
            "redirect_uri": self.redirect_uri,
            "scope": " ".join(s.scopes),
            "state": self._state,
            "code_challenge": self._pkce.challenge,
            "code_challenge_method": self._pkce.method,
        }
        return f"{s.base_url.rstrip('/')}{AUTHORIZE_PATH}?{urlencode(query)}"

    async def start(self) -> str:
        """Bind the listener; returns the URL to open in the browser."""
        loop = asyncio.get_running_loop()
        self._result = loop.create_future()
        try:
            self._server = await asyncio.start_server(
                self._handle, host=self.settings.host, port=self.settings.port
            )
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES, 10048, 10013):
                raise LoopbackPortInUse(
                    f"Port {self.settings.port} on {self.settings.host} is already in use. "
                    "Close the program using it, or choose another port with --port and "
                    "register that redirect URI in NinjaOne."
                ) from None
            raise OAuthLoginError(
                f"Could not open the sign-in listener on {self.settings.host} ({exc.strerror})."
            ) from None
        self.port = self._server.sockets[0].getsockname()[1]
        return self.authorize_url

    async def wait(self) -> TokenSet:
        if self._result is None:
            raise RuntimeError("start() the listener first")
        try:
            return await asyncio.wait_for(asyncio.shield(self._result), self.settings.timeout)
        except TimeoutError:
            minutes = self.settings.timeout / 60
            raise OAuthTimeout(
                f"The browser sign-in did not finish within {minutes:.3g} minutes. "
                "Run the sign-in again and approve NinjaDesk in the browser."
            ) from None
        finally:
            await self.close()

    def cancel(self) -> None:
        """Stop waiting (the user closed the dialog); `wait()` raises OAuthCancelled."""
        if self._result is not None and not self._result.done():
            self._result.set_exception(OAuthCancelled("The NinjaOne sign-in was cancelled."))

    async def close(self) -> None:
        if self._result is not None and not self._result.done():
            self._result.cancel()
        if self._server is not None:
            self._server.close()
            pending = list(self._handlers)
            if pending:  # let the success / failure page reach the browser first
                _, stuck = await asyncio.wait(pending, timeout=1.0)
                for task in stuck:  # e.g. a preconnect that never spoke
                    task.cancel()
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def run(self) -> TokenSet:
        url = await self.start()
        try:
            if self._on_url is not None:
                self._on_url(url)
            opened = False
            if self._opener is not None:
                try:
                    opened = bool(self._opener(url))
                except Exception as exc:  # a broken browser setup must not end the sign-in
                    log.warning("Could not open the browser (%s).", type(exc).__name__)
            if not opened and self._on_url is None:
                log.warning("Open this address in a browser to sign in to NinjaOne: %s", url)
            return await self.wait()
        finally:
            await self.close()

    # -- HTTP ------------------------------------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._handlers.add(task)
        try:
            status, body = await self._respond(reader)
            reason = {
                200: "OK",
                400: "Bad Request",
                404: "Not Found",
                405: "Method Not Allowed",
                410: "Gone",
            }.get(status, "OK")
            head = (
                f"HTTP/1.1 {status} {reason}\r\n"
                "Content-Type: text/html; charset=utf-8\r\n"
                f"Content-Length: {len(body)}\r\n"
                "Cache-Control: no-store\r\n"
                "Referrer-Policy: no-referrer\r\n"
                "Connection: close\r\n\r\n"
            )
            writer.write(head.encode("ascii") + body)
            await writer.drain()
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError, ValueError):
            pass  # a preconnect that never spoke, or a client that went away
        finally:
            if task is not None:
                self._handlers.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _respond(self, reader: asyncio.StreamReader) -> tuple[int, bytes]:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _HEADER_TIMEOUT)
        if len(raw) > _MAX_REQUEST_BYTES:
            return 400, _page("Bad request", "The request was too large.")
        request_line = raw.split(b"\r\n", 1)[0].decode("latin-1")
        parts = request_line.split(" ")
        if len(parts) != 3:
            return 400, _page("Bad request", "Malformed request.")
        method, target, _ = parts
        url = urlsplit(target)
        if url.path != self.settings.callback_path:
            self.not_found_count += 1
            return 404, _page("Not found", "Nothing here.")
        if method != "GET":
            return 405, _page("Not allowed", "Use GET.")
        if self._result is None or self._result.done() or self._claimed:
            return 410, _page("Sign-in finished", "This sign-in is over. You can close this tab.")
        query = parse_qs(url.query)
        if not self._state_matches(query):
            # Any local process (or a web page, with a fixed port) can reach this listener:
            # refusing the request must not end the user's sign-in, so keep waiting.
            self.refused_count += 1
            log.warning("Refused a sign-in callback whose state did not match; still waiting.")
            return 400, _page(
                "Sign-in answer refused",
                "This answer does not belong to the sign-in NinjaDesk started; "
                "finish the sign-in in the tab NinjaDesk opened.",
            )
        self._claimed = True
        try:
            tokens = await self._complete(query)
        except OAuthLoginError as exc:
            if not self._result.done():
                self._result.set_exception(exc)
            return 400, _page("NinjaDesk could not connect to NinjaOne", str(exc))
        if not self._result.done():
            self._result.set_result(tokens)
        return 200, _page(
            "NinjaDesk is connected to NinjaOne",
            "You can close this tab and return to NinjaDesk.",
        )

    def _state_matches(self, query: dict[str, list[str]]) -> bool:
        values = query.get("state")
        if not values:
            return False
        return secrets.compare_digest(values[0].encode(), self._state.encode())

    async def _complete(self, query: dict[str, list[str]]) -> TokenSet:
        def one(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        error = one("error")
        if error == "access_denied":
            raise OAuthDenied(
                "Access to NinjaOne was denied in the browser. Run the sign-in again and "
                "choose Allow."
            )
        if error:
            description = redact(one("error_description") or "")
            hint = " Check that the redirect URI is registered." if "redirect" in error else ""
            raise OAuthLoginError(
                f"NinjaOne refused the sign-in ({error}"
                f"{': ' + description if description else ''}).{hint} Try again."
            )
        code = one("code")
        if not code:
            raise OAuthLoginError("NinjaOne sent no authorization code. Try the sign-in again.")
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.redirect_uri,
            "client_id": self.settings.client_id,
            "code_verifier": self._pkce.verifier,
        }
        if self.settings.client_secret:
            form["client_secret"] = self.settings.client_secret
        try:
            return await request_token(self.settings.base_url, form, http=self._http)
        except TokenEndpointError as exc:
            raise OAuthLoginError(
                f"NinjaOne did not accept the sign-in ({exc.error or exc.status}). Check the "
                "client ID, the app's platform and redirect URI in NinjaOne, then try again."
            ) from None
        except NinjaOneError as exc:
            raise OAuthLoginError(str(exc)) from None


async def login_with_browser(
    settings: LoopbackSettings,
    *,
    opener: Callable[[str], object] | None = webbrowser.open,
    http: httpx.AsyncClient | None = None,
    on_url: Callable[[str], None] | None = None,
) -> TokenSet:
    return await LoopbackLogin(settings, opener=opener, http=http, on_url=on_url).run()


async def login_client_credentials(
    base_url: str,
    client_id: str,
    client_secret: str,
    *,
    scopes: tuple[str, ...] = ("monitoring", "management", "control"),
    http: httpx.AsyncClient | None = None,
) -> TokenSet:
    """The headless agent's grant ("API Services" apps): no browser, no user."""
    form = {
        "grant_type": "client_credentials",
        "client_id": client_id,
        "client_secret": client_secret,
        "scope": " ".join(s for s in scopes if s != "offline_access"),
    }
    try:
        return await request_token(base_url, form, http=http)
    except TokenEndpointError as exc:
        raise OAuthLoginError(
            f"NinjaOne refused the client credentials ({exc.error or exc.status}). Check the "
            "client ID and secret of the API Services app in NinjaOne."
        ) from None
