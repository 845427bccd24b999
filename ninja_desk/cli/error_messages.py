"""Turn any failure of a CLI command into one sentence with a hint, never a traceback.

`explain(exc)` answers (sentence, exit code). Known failures (NinjaOne unreachable or
refusing the session, a URL that is not one, a PSA database that cannot be reached, a keyring
that refuses) read as what happened and what to do; anything else is named in one line with
"run with --debug for details". Imports of optional packages happen lazily: the CLI must work
where psycopg or the PSA extras are not installed.
"""

from __future__ import annotations

import re

import httpx

EXIT_USER = 2  # something the user can fix (configuration, input)
EXIT_UNAVAILABLE = 3  # a service NinjaDesk needs could not be reached
EXIT_BUG = 1  # unexpected

DEBUG_HINT = "Run again with --debug for details."


def _first_line(text: object) -> str:
    line = str(text).strip().splitlines()[0] if str(text).strip() else ""
    return line.rstrip(".")


def _host(exc: httpx.HTTPError) -> str:
    try:
        url = exc.request.url
    except RuntimeError:  # no request attached
        return "the server"
    return f"{url.scheme}://{url.netloc.decode('ascii', 'replace')}"


def _redact_url(text: str) -> str:
    """Database URLs may carry a password: `postgresql://user:secret@host` -> `user:***@`."""
    return re.sub(r"(://[^:/@\s]+):[^@\s]+@", r"\1:***@", text)


def _sqlalchemy(exc: BaseException) -> tuple[str, int] | None:
    try:
        from sqlalchemy import exc as sa_exc
    except ImportError:
        return None
    if isinstance(exc, sa_exc.NoSuchModuleError):
        return (
            f"The PSA database URL names a database driver that is not installed "
            f"({_first_line(exc)}). Use a postgresql:// or sqlite:/// URL.",
            EXIT_USER,
        )
    if isinstance(exc, sa_exc.ArgumentError):
        return (
            "The PSA database URL is not a database URL. Pass one like "
            "postgresql://user@host:5432/psa or sqlite:///path/to/psa.sqlite3 with --psa-url.",
            EXIT_USER,
        )
    if isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError):
        reason = _redact_url(_first_line(getattr(exc, "orig", None) or exc))
        return (
            f"Could not open the PSA database ({reason}). Check that it is running and that "
            "--psa-url (or the PSA URL in the settings) is right.",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, sa_exc.ProgrammingError):
        reason = _redact_url(_first_line(getattr(exc, "orig", None) or exc))
        return (
            f"The PSA database refused a query ({reason}). Run 'ninja-desk psa migrate' with an "
            "owner account, or check this login's rights.",
            EXIT_USER,
        )
    if isinstance(exc, sa_exc.SQLAlchemyError):
        return (
            f"The database failed ({_redact_url(_first_line(exc))}). {DEBUG_HINT}",
            EXIT_BUG,
        )
    return None


def _psycopg(exc: BaseException) -> tuple[str, int] | None:
    try:
        import psycopg
    except ImportError:
        return None
    if isinstance(exc, psycopg.OperationalError):
        return (
            f"Could not connect to PostgreSQL ({_redact_url(_first_line(exc))}). Check that "
            "the server is running and the URL is right.",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, psycopg.Error):
        return (
            f"PostgreSQL refused the request ({_redact_url(_first_line(exc))}). {DEBUG_HINT}",
            EXIT_BUG,
        )
    return None


def _keyring(exc: BaseException) -> tuple[str, int] | None:
    try:
        import keyring.errors
    except ImportError:
        return None
    if isinstance(exc, keyring.errors.KeyringError):
        return (
            f"The system keyring failed ({type(exc).__name__}: {_first_line(exc) or 'no reason'})."
            " Unlock it and try again, or sign in with --encrypted-file PATH instead.",
            EXIT_USER,
        )
    return None


def _ninjaone(exc: BaseException) -> tuple[str, int] | None:
    from ninja_desk.ninjaone import errors

    if isinstance(exc, errors.NinjaOneAuthExpired):
        return (
            f"{_first_line(exc)}. Sign in again with 'ninja-desk login'.",
            EXIT_USER,
        )
    if isinstance(exc, errors.NinjaOneTransportError | errors.NinjaOneServerError):
        return str(exc), EXIT_UNAVAILABLE
    if isinstance(exc, errors.NinjaOneError):
        return str(exc), EXIT_USER
    return None


def _http(exc: BaseException) -> tuple[str, int] | None:
    if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
        return (
            f"That address is not a usable URL ({_first_line(exc)}). Pass an https:// address "
            "with --ninjaone-url, or a region with --region.",
            EXIT_USER,
        )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"{_host(exc)} did not answer in time. Check the network connection and try again.",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, httpx.TransportError):
        return (
            f"Could not reach {_host(exc)} ({type(exc).__name__}). Check the address and the "
            "network connection, then try again.",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, httpx.HTTPStatusError):
        return (
            f"{_host(exc)} answered HTTP {exc.response.status_code}. {DEBUG_HINT}",
            EXIT_UNAVAILABLE,
        )
    return None


def _os(exc: BaseException) -> tuple[str, int] | None:
    if isinstance(exc, PermissionError):
        where = f" {exc.filename}" if exc.filename else ""
        return (
            f"Permission denied on{where}. Pass a --data-dir you can write to.",
            EXIT_USER,
        )
    if isinstance(exc, ConnectionError | TimeoutError):
        return (
            f"A connection failed ({type(exc).__name__}: {_first_line(exc)}). Check the network "
            "and that the service is running.",
            EXIT_UNAVAILABLE,
        )
    if isinstance(exc, OSError) and exc.filename:
        return f"{exc.strerror or 'Cannot use'}: {exc.filename}.", EXIT_USER
    return None


def describe(exc: BaseException) -> tuple[str, int] | None:
    """The sentence and exit code for a failure NinjaDesk knows, else None."""
    for known in (_ninjaone, _http, _sqlalchemy, _psycopg, _keyring, _os):
        found = known(exc)
        if found is not None:
            return found
    return None


def explain(exc: BaseException, *, debug: bool = False) -> tuple[str, int]:
    """One sentence (with what to do next) and the exit code for a failed command."""
    found = describe(exc)
    if found is not None:
        return found
    detail = _first_line(exc)
    if type(exc).__module__.startswith("ninja_desk.") and detail:
        # NinjaDesk's own typed errors (PsaSchemaMismatch, ...) already read as a sentence.
        return f"{detail}.", EXIT_USER
    name = type(exc).__name__
    sentence = f"Something unexpected went wrong ({name}{': ' + detail if detail else ''})."
    if not debug:
        sentence += " " + DEBUG_HINT
    return sentence, EXIT_BUG
