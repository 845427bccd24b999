"""`ninja-desk login`, `logout` and `webhook`: connecting this machine to NinjaOne.

`register_auth_commands(subparsers)` adds them; each handler takes the parsed args and
returns an exit code. Secrets are read from the credential store, the environment or a
hidden prompt, never from the command line (it ends up in shell history and `ps`).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
import webbrowser
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from ninja_desk.environment import environment, reveal
from ninja_desk.ninjaone.client import NinjaOneClient
from ninja_desk.ninjaone.credentials import (
    CLIENT_SECRET,
    ENV_PASSPHRASE,
    REFRESH_TOKEN,
    WEBHOOK_SECRET,
    CredentialsError,
    KeyringTokenStore,
    SecretBackend,
    open_secrets,
)
from ninja_desk.ninjaone.disconnect import disconnect
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.oauth_loopback import (
    LoopbackLogin,
    LoopbackSettings,
    OAuthLoginError,
    login_client_credentials,
    login_scopes,
)
from ninja_desk.ninjaone.redaction import install_redaction
from ninja_desk.ninjaone.regions import REGION_HOSTS, UnknownRegion, base_url_for
from ninja_desk.ninjaone.tokens import OAuthTokenProvider, TokenSet, lock_file_name
from ninja_desk.ninjaone.webhooks import (
    WebhookError,
    ensure_webhook,
    forget_webhook_state,
    split_relay_url,
    unregister_webhook,
)
from ninja_desk.paths import cache_file, data_dir
from ninja_desk.settings import Settings

Opener = Callable[[str], object]
Out = Callable[[str], None]
Prompt = Callable[[str], str]


class AuthCommandError(Exception):
    """A problem the user can fix; printed as one sentence, exit code 2."""


def _stdout(text: str) -> None:
    print(text, flush=True)


# -- parser --------------------------------------------------------------------------------


def _connection_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--data-dir", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    p.add_argument("--region", choices=sorted(REGION_HOSTS), help="NinjaOne region")
    p.add_argument("--ninjaone-url", metavar="URL", help="custom NinjaOne host (overrides region)")
    p.add_argument("--client-id", metavar="ID", help="Client ID of the NinjaOne API app")
    p.add_argument(
        "--encrypted-file",
        metavar="PATH",
        help="keep secrets in this passphrase-protected file instead of the system keyring "
        f"(passphrase from {ENV_PASSPHRASE} or a prompt)",
    )


def register_auth_commands(subparsers: argparse._SubParsersAction) -> None:
    login = subparsers.add_parser(
        "login", help="connect to NinjaOne (browser sign-in, or client credentials)"
    )
    _connection_options(login)
    login.add_argument(
        "--port", type=int, default=0, help="loopback port registered in NinjaOne (default: any)"
    )
    login.add_argument(
        "--no-browser", action="store_true", help="print the sign-in address instead"
    )
    kind = login.add_mutually_exclusive_group()
    kind.add_argument(
        "--web-app",
        action="store_true",
        help="the API app is a 'Web' app with a client secret (asked once, kept in the keyring)",
    )
    kind.add_argument(
        "--client-credentials",
        action="store_true",
        help="headless agent: an 'API Services' app, no browser",
    )
    login.add_argument(
        "--no-control", action="store_true", help="do not ask for the 'control' scope"
    )
    login.add_argument("--timeout", type=float, default=300.0, help="seconds to wait")
    login.set_defaults(handler=cmd_login)

    logout = subparsers.add_parser(
        "logout", help="disconnect: remove the webhook, revoke and forget the tokens"
    )
    _connection_options(logout)
    logout.add_argument(
        "--wipe", action="store_true", help="also delete the local cache (PSA data is kept)"
    )
    logout.set_defaults(handler=cmd_logout)

    webhook = subparsers.add_parser("webhook", help="register or remove the NinjaOne webhook")
    _connection_options(webhook)
    webhook.add_argument(
        "action",
        choices=("register", "remove"),
        help="register: NinjaOne posts to the relay; remove: NinjaOne stops posting",
    )
    webhook.add_argument("--relay-url", metavar="URL", help="the relay's public webhook URL")
    webhook.set_defaults(handler=cmd_webhook)


# -- shared --------------------------------------------------------------------------------


def _resolve(args: argparse.Namespace, settings: Settings) -> tuple[str, str]:
    try:
        base_url = base_url_for(
            getattr(args, "region", None) or settings.region,
            getattr(args, "ninjaone_url", None)
            or (None if getattr(args, "region", None) else settings.custom_base_url),
        )
    except UnknownRegion as exc:
        raise AuthCommandError(str(exc)) from None
    client_id = getattr(args, "client_id", None) or settings.client_id
    if not client_id:
        raise AuthCommandError(
            "No NinjaOne client ID: pass --client-id (Administration > Apps > API in NinjaOne)."
        )
    return base_url, client_id


def _secrets(
    args: argparse.Namespace, base_url: str, client_id: str, prompt: Prompt
) -> SecretBackend:
    path = getattr(args, "encrypted_file", None)
    passphrase = None
    if path:
        # NINJA_DESK_PASSPHRASE or its older name, as sync and the agent read it.
        passphrase = reveal(environment().file_passphrase) or prompt(
            "Passphrase for the credentials file: "
        )
    secrets = open_secrets(base_url, client_id, encrypted_file=path, passphrase=passphrase)
    secrets.get(REFRESH_TOKEN)  # no secure keyring / wrong passphrase: say so before anything else
    return secrets


def _account(args: argparse.Namespace, prompt: Prompt) -> tuple[Settings, str, str, SecretBackend]:
    """The saved settings, the NinjaOne instance and app they name, and that app's secrets."""
    settings = Settings.load(_dir(args))
    base_url, client_id = _resolve(args, settings)
    return settings, base_url, client_id, _secrets(args, base_url, client_id, prompt)


def _forget_webhook(args: argparse.Namespace, settings: Settings) -> None:
    """This machine no longer owns a NinjaOne webhook: settings and saved state say so."""
    settings.webhook_registered = False
    settings.save(_dir(args))
    forget_webhook_state(data_dir(_dir(args)))


def _run(fn: Callable[[], Any]) -> int:
    install_redaction()
    try:
        return int(asyncio.run(fn()) or 0)
    except (NinjaOneError, AuthCommandError) as exc:
        print(f"ninja-desk: {exc}", file=sys.stderr)
        return 2


def _dir(args: argparse.Namespace) -> Any:
    return getattr(args, "data_dir", None)


# -- login ---------------------------------------------------------------------------------


def cmd_login(
    args: argparse.Namespace,
    *,
    opener: Opener | None = webbrowser.open,
    out: Out = _stdout,
    prompt: Prompt = getpass.getpass,
) -> int:
    async def run() -> int:
        settings, base_url, client_id, secrets = _account(args, prompt)
        scopes = login_scopes(allow_control=not args.no_control)

        secret = None
        if args.web_app or args.client_credentials:
            from_env = reveal(environment().client_secret)
            secret = from_env or secrets.get(CLIENT_SECRET)
            if not secret:
                secret = prompt(f"Client secret for {client_id}: ").strip()
                if not secret:
                    raise AuthCommandError("A client secret is needed for this kind of app.")
            if secret != from_env:  # the environment's stays there, never copied to a store
                secrets.set(CLIENT_SECRET, secret)

        if args.client_credentials:
            tokens = await login_client_credentials(
                base_url, client_id, secret or "", scopes=scopes
            )
        else:

            def show(url: str) -> None:
                if args.no_browser:
                    out(f"Open this address in a browser to sign in to NinjaOne:\n  {url}")
                else:
                    out("Waiting for the NinjaOne sign-in in your browser (Ctrl+C cancels)...")

            login = LoopbackLogin(
                LoopbackSettings(
                    base_url, client_id, secret, scopes, port=args.port, timeout=args.timeout
                ),
                opener=None if args.no_browser else opener,
                on_url=show,
            )
            try:
                tokens = await login.run()
            except OAuthLoginError as exc:
                raise AuthCommandError(str(exc)) from None
            KeyringTokenStore(secrets).save(tokens)

        settings.client_id = client_id
        if args.ninjaone_url:
            settings.custom_base_url = base_url
        elif args.region:
            settings.region, settings.custom_base_url = args.region, None
        settings.scopes = list(scopes)
        settings.save(_dir(args))
        out(_connected_sentence(base_url, client_id, tokens, scopes, args.client_credentials))
        if settings.relay_url:
            out(await _auto_register_webhook(args, settings, base_url, client_id, secrets))
        return 0

    return _run(run)


def _connected_sentence(
    base_url: str, client_id: str, tokens: TokenSet, asked: tuple[str, ...], headless: bool
) -> str:
    granted = tokens.scopes
    lines = [f"Connected to NinjaOne at {base_url} with app {client_id}."]
    if granted:
        lines.append(f"Granted scopes: {' '.join(sorted(granted))}.")
        missing = [s for s in asked if s not in granted and s != "offline_access"]
        if missing:
            lines.append(f"Not granted: {' '.join(missing)}; features that need them stay off.")
    if not headless and not tokens.refresh_token:
        lines.append(
            "NinjaOne gave no refresh token (offline_access or the Refresh Token grant is not "
            "enabled for the app), so you will have to sign in again in about an hour."
        )
    return "\n".join(lines)


async def _auto_register_webhook(
    args: argparse.Namespace,
    settings: Settings,
    base_url: str,
    client_id: str,
    secrets: SecretBackend,
) -> str:
    """With a relay configured, a sign-in also points NinjaOne's webhook at it (never fatal)."""
    try:
        async with _stored_session_client(args, base_url, client_id, secrets) as client:
            done = await ensure_webhook(client, settings, secrets, data_dir=data_dir(_dir(args)))
    except NinjaOneError as exc:
        return f"The webhook was not registered: {exc}"
    if done.changed:
        settings.save(_dir(args))
    return done.message


# -- logout --------------------------------------------------------------------------------


def _stored_session_client(
    args: argparse.Namespace, base_url: str, client_id: str, secrets: SecretBackend
) -> NinjaOneClient:
    """A client on the session `login` stored (refresh token and, for Web apps, the secret)."""
    client_secret = reveal(environment().client_secret) or secrets.get(CLIENT_SECRET)
    provider = OAuthTokenProvider(
        base_url,
        client_id,
        client_secret,
        store=KeyringTokenStore(secrets),
        lock_path=data_dir(_dir(args)) / lock_file_name(base_url, client_id),
    )
    return NinjaOneClient(base_url, provider)


@asynccontextmanager
async def _stored_session(
    args: argparse.Namespace, prompt: Prompt
) -> AsyncIterator[tuple[Settings, str, str, SecretBackend, NinjaOneClient]]:
    """The saved account (settings, instance, app, secrets) and a client on its stored session."""
    settings, base_url, client_id, secrets = _account(args, prompt)
    async with _stored_session_client(args, base_url, client_id, secrets) as client:
        yield settings, base_url, client_id, secrets, client


def cmd_logout(
    args: argparse.Namespace, *, out: Out = _stdout, prompt: Prompt = getpass.getpass
) -> int:
    async def run() -> int:
        async with _stored_session(args, prompt) as (settings, url, app, secrets, client):
            report = await disconnect(
                base_url=url,
                client_id=app,
                secrets=secrets,
                client=client,
                webhook_registered=settings.webhook_registered,
                wipe=args.wipe,
                cache_path=cache_file(_dir(args)),
            )
        try:
            secrets.delete(WEBHOOK_SECRET)
        except CredentialsError as exc:
            report.problems.append(str(exc))
        _forget_webhook(args, settings)
        done = ["Disconnected from NinjaOne."]
        if report.webhook_removed:
            done.append("The webhook was removed.")
        if report.token_revoked:
            done.append("The sign-in was revoked.")
        done.append(
            "The local cache was deleted." if report.cache_deleted else "The local cache was kept."
        )
        out(" ".join(done))
        for problem in report.problems:
            out(f"  Note: {problem}")
        return 0 if report.clean else 1

    return _run(run)


# -- webhook -------------------------------------------------------------------------------


def cmd_webhook(
    args: argparse.Namespace, *, out: Out = _stdout, prompt: Prompt = getpass.getpass
) -> int:
    async def run() -> int:
        async with _stored_session(args, prompt) as (settings, _, _, secrets, client):
            try:
                if args.action == "remove":
                    await unregister_webhook(client)
                    _forget_webhook(args, settings)
                    out("The NinjaOne webhook was removed.")
                    return 0
                relay_url = args.relay_url or settings.relay_url
                if not relay_url:
                    raise AuthCommandError("Pass --relay-url: NinjaOne sends its webhooks there.")
                base, endpoint = split_relay_url(relay_url)
                settings.relay_url = base
                settings.relay_endpoint = endpoint or settings.relay_endpoint
                if not (environment().webhook_secret or secrets.get(WEBHOOK_SECRET)):
                    secret = prompt(
                        "Relay endpoint secret (from 'ninja-desk-relay endpoint add'): "
                    ).strip()
                    if not secret:
                        raise AuthCommandError("The relay endpoint secret is needed.")
                    secrets.set(WEBHOOK_SECRET, secret)
                done = await ensure_webhook(
                    client, settings, secrets, data_dir=data_dir(_dir(args)), force=True
                )
            except WebhookError as exc:
                raise AuthCommandError(str(exc)) from None
        settings.save(_dir(args))
        out(done.message)
        return 0

    return _run(run)
