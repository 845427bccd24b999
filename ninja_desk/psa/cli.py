"""`ninja-desk psa ...` subcommands. The main CLI calls register_psa_commands(subparsers)."""

from __future__ import annotations

import argparse
import sys

import sqlalchemy as sa

from ninja_desk.psa.database import default_psa_url
from ninja_desk.psa.migrator import head_revision, migrate

__all__ = ["migrate", "register_psa_commands"]


def _cmd_migrate(args: argparse.Namespace) -> int:
    url = args.psa_url or default_psa_url()
    try:
        migrate(url)
    except sa.exc.OperationalError as exc:
        where = sa.make_url(url).render_as_string(hide_password=True)
        print(
            f"ninja-desk: could not migrate the PSA database at {where}: {exc.orig}. "
            "Check the URL and that the account owns the schema.",
            file=sys.stderr,
        )
        return 2
    print(f"PSA database is at schema {head_revision()}.")
    return 0


def register_psa_commands(subparsers: argparse._SubParsersAction) -> None:
    """Adds `psa migrate --psa-url URL`. Each leaf sets `handler(args) -> int` (what
    `ninja-desk` calls; `func` is kept as an alias)."""
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
    mig.set_defaults(handler=_cmd_migrate, func=_cmd_migrate)
