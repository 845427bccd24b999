"""What several commands need: the cache, the settings, a NinjaOne connection."""

from __future__ import annotations

import argparse
import os

from ninja_desk.cache.store import LocalCache
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.regions import UnknownRegion, base_url_for
from ninja_desk.ninjaone.session import open_api
from ninja_desk.paths import cache_file, data_dir
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine

ENV_CLIENT_SECRET = "NINJA_DESK_CLIENT_SECRET"


class CliError(Exception):
    """A problem the user can fix; printed as one sentence, exit code 2."""


def open_cache(args: argparse.Namespace) -> LocalCache:
    return LocalCache(cache_file(args.data_dir))


def resolve_base_url(args: argparse.Namespace, settings: Settings) -> str:
    try:
        return base_url_for(
            getattr(args, "region", None) or settings.region,
            getattr(args, "ninjaone_url", None) or settings.custom_base_url,
        )
    except UnknownRegion as exc:
        raise CliError(str(exc)) from None


def open_engine(args: argparse.Namespace, cache: LocalCache) -> SyncEngine:
    settings = Settings.load(args.data_dir)
    base_url = resolve_base_url(args, settings)
    client_id = getattr(args, "client_id", None) or settings.client_id
    if not client_id:
        raise CliError("No NinjaOne client id: pass --client-id or run 'ninja-desk login'.")
    secret = os.environ.get(ENV_CLIENT_SECRET) or _stored_secret(base_url, client_id)
    store = None if os.environ.get(ENV_CLIENT_SECRET) else _stored_session(base_url, client_id)
    if secret is None and store is None:
        raise CliError(
            f"No NinjaOne credentials: set {ENV_CLIENT_SECRET} for client_credentials, "
            "or run 'ninja-desk login'."
        )
    return SyncEngine(
        open_api(base_url, client_id, secret, store=store, lock_dir=data_dir(args.data_dir)),
        cache,
    )


def credentials_state(base_url: str, client_id: str | None) -> str:
    """A sentence about which credentials a sync would use (never the credentials)."""
    if not client_id:
        return "none: run 'ninja-desk login' or pass --client-id"
    if os.environ.get(ENV_CLIENT_SECRET):
        return f"client secret from {ENV_CLIENT_SECRET}"
    try:
        if _stored_secret(base_url, client_id):
            return "client secret in the system keyring"
        if _stored_session(base_url, client_id) is not None:
            return "sign-in stored in the system keyring"
    except CliError as exc:
        return f"unavailable: {exc}"
    return "none: run 'ninja-desk login'"


def _stored_secret(base_url: str, client_id: str) -> str | None:
    """A "Web"/"API Services" app secret kept in the keyring by `ninja-desk login`."""
    try:
        from ninja_desk.ninjaone.credentials import CredentialsError, stored_client_secret
    except ImportError:
        return None
    try:
        return stored_client_secret(base_url, client_id)
    except CredentialsError:
        return None  # no usable keyring here; the caller explains what else works


def _stored_session(base_url: str, client_id: str):  # type: ignore[no-untyped-def]
    """The keyring-backed session from `ninja-desk login`, when that feature is present."""
    try:
        from ninja_desk.ninjaone.credentials import keyring_token_store
    except ImportError:
        return None
    try:
        store = keyring_token_store(base_url, client_id)
    except NinjaOneError as exc:
        raise CliError(str(exc)) from None
    return store if store.load() is not None else None
