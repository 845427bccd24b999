"""`ninja-desk psa ...` subcommands. The main CLI calls register_psa_commands(subparsers)."""

from __future__ import annotations

import argparse

from ninja_desk.psa.database import default_psa_url
from ninja_desk.psa.migrator import head_revision, migrate

__all__ = ["migrate", "register_psa_commands"]


def _cmd_migrate(args: argparse.Namespace) -> int:
    url = args.psa_url or default_psa_url()
    migrate(url)
    print(f"PSA database is at schema {head_revision()}.")
    return 0


def register_psa_commands(subparsers: argparse._SubParsersAction) -> None:
    """Adds `psa migrate --psa-url URL`. Each leaf sets `func(args) -> int`."""
    psa = subparsers.add_parser("psa", help="PSA database tasks")
    sub = psa.add_subparsers(dest="psa_command", required=True)
    mig = sub.add_parser(
        "migrate",
        help="create or upgrade the PSA database schema (run with an owner account)",
    )
    mig.add_argument(
        "--psa-url",
        default=None,
        help="SQLAlchemy URL, e.g. postgresql://owner@host/psa (default: the embedded SQLite file)",
    )
    mig.set_defaults(func=_cmd_migrate)
