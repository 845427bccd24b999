"""What several commands need: the cache, the settings, a NinjaOne connection."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from ninja_desk.cache.store import LocalCache
from ninja_desk.environment import environment
from ninja_desk.ninjaone.credentials import (
    ENV_CLIENT_SECRET,
    ENV_PASSPHRASE,
    KeyringTokenStore,
)
from ninja_desk.ninjaone.errors import NinjaOneError
from ninja_desk.ninjaone.regions import UnknownRegion, base_url_for
from ninja_desk.ninjaone.session import NotSignedIn, open_saved_api
from ninja_desk.paths import cache_file, data_dir
from ninja_desk.settings import Settings
from ninja_desk.sync.engine import SyncEngine

DEMO_PROFILE = "demo"  # `ninja-desk demo` keeps its own data dir: <data dir>/demo


class CliError(Exception):
    """A problem the user can fix; printed as one sentence, exit code 2."""


def open_cache(args: argparse.Namespace) -> LocalCache:
    return LocalCache(cache_file(args.data_dir))


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """Which NinjaOne and which sign-in, for every command that talks to NinjaOne through the
    saved sign-in (`sync`, the device actions, `agent`); `resolve_base_url` and `open_engine`
    read them back, so the options and their reading stay one pair."""
    parser.add_argument("--ninjaone-url", help="NinjaOne base URL (overrides --region)")
    parser.add_argument("--region", help="NinjaOne region: app, us2, eu, ca, oc")
    parser.add_argument(
        "--client-id",
        help="API client id; the secret comes from NINJA_DESK_CLIENT_SECRET or the saved sign-in",
    )
    parser.add_argument(
        "--encrypted-file",
        metavar="PATH",
        help="use the sign-in saved with 'ninja-desk login --encrypted-file PATH' (passphrase "
        "from NINJA_DESK_PASSPHRASE, or asked on a terminal)",
    )


def add_one_of(
    parser: argparse.ArgumentParser, dest: str, helps: dict[str, str], *, required: bool = False
) -> None:
    """Flags of which at most one is given (`required`: exactly one): `--<value>` stores its
    value (as written in `helps`; the flag is in lower case) in `dest`."""
    group = parser.add_mutually_exclusive_group(required=required)
    for value, help_text in helps.items():
        group.add_argument(
            f"--{value.lower()}", dest=dest, action="store_const", const=value, help=help_text
        )


def resolve_base_url(args: argparse.Namespace, settings: Settings) -> str:
    try:
        return base_url_for(
            getattr(args, "region", None) or settings.region,
            getattr(args, "ninjaone_url", None) or settings.custom_base_url,
        )
    except UnknownRegion as exc:
        raise CliError(str(exc)) from None


def open_engine(args: argparse.Namespace, cache: LocalCache) -> SyncEngine:
    """The sync engine on the saved sign-in; `args.encrypted_file` picks an encrypted file."""
    settings = Settings.load(args.data_dir)
    base_url = resolve_base_url(args, settings)
    client_id = getattr(args, "client_id", None) or settings.client_id
    if not client_id:
        raise CliError("No NinjaOne client id: pass --client-id or run 'ninja-desk login'.")
    try:
        api = open_saved_api(
            base_url,
            client_id,
            encrypted_file=getattr(args, "encrypted_file", None),
            lock_dir=data_dir(args.data_dir),
        )
    except NotSignedIn:
        raise CliError(
            f"No NinjaOne credentials: set {ENV_CLIENT_SECRET} for client_credentials, "
            "or run 'ninja-desk login' (with --encrypted-file PATH where there is no keyring, "
            "then pass the same --encrypted-file here)."
        ) from None
    except NinjaOneError as exc:
        raise CliError(str(exc)) from None
    return SyncEngine(api, cache)


def credentials_state(
    base_url: str, client_id: str | None, encrypted_file: str | None = None
) -> str:
    """A sentence about which credentials a sync would use (never the credentials)."""
    if not client_id:
        return "none: run 'ninja-desk login' or pass --client-id"
    env = environment()
    if env.client_secret is not None:
        return f"client secret from {ENV_CLIENT_SECRET}"
    path = encrypted_file or env.encrypted_file
    if path:
        if os.path.exists(path):
            return f"sign-in in the encrypted file {path} (needs {ENV_PASSPHRASE})"
        return f"none: {path} does not exist; run 'ninja-desk login --encrypted-file {path}'"
    try:
        if _stored_secret(base_url, client_id):
            return "client secret in the system keyring"
        if _stored_session(base_url, client_id) is not None:
            return "sign-in stored in the system keyring"
    except CliError as exc:
        return f"unavailable: {exc}"
    return "none: run 'ninja-desk login'"


def profile_dir(base: str | os.PathLike[str] | None, profile: str) -> Path:
    """`<data dir>/<profile>`: a separate cache, settings and sign-in (the demo uses one)."""
    name = profile.strip()
    if not name or name in (".", "..") or any(sep in name for sep in "/\\"):
        raise CliError(f"'{profile}' is not a profile name: use letters, digits and dashes.")
    return data_dir(base) / name


def demo_profile_hint(args: argparse.Namespace) -> str | None:
    """After `make demo` the default profile is empty: say where the demo's data is."""
    if getattr(args, "profile", None):
        return None
    base = getattr(args, "data_dir", None)
    demo_cache = data_dir(base) / DEMO_PROFILE / "cache.sqlite3"
    if not demo_cache.exists():
        return None
    settings = Settings.load(base)
    if settings.client_id:
        return None  # a real connection lives here; it is just empty
    return (
        "This profile has no NinjaOne connection yet; the demo's data is in the "
        f"'{DEMO_PROFILE}' profile: run 'ninja-desk --profile {DEMO_PROFILE} "
        f"{args.command}'."
    )


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


def _stored_session(base_url: str, client_id: str) -> KeyringTokenStore | None:
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
