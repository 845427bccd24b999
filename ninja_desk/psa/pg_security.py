"""PostgreSQL logins for technicians: each desktop connects as its user's own login.

The owner (or a superuser) creates the login once; from then on the database knows which PSA
user and tenant every statement comes from (db_logins), and which rights it may use (the
nd_p_* roles granted by nd_apply_user_grants). Passwords, if any, belong in the OS keyring.
"""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa

from ninja_desk.psa.database import create_psa_engine
from ninja_desk.psa.schema import db_logins

_LOGIN_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def provision_login(
    owner_url: str,
    tenant: uuid.UUID,
    user_id: uuid.UUID,
    login_name: str,
    password: str | None = None,
) -> None:
    """Create (or re-map) the database login `login_name` for a PSA user and apply their
    rights. Needs an owner/superuser URL: creating logins is an administrator's job."""
    if not _LOGIN_NAME.match(login_name):
        raise ValueError("A login name is lower-case letters, digits and underscores.")
    engine = create_psa_engine(owner_url)
    try:
        with engine.begin() as conn:
            conn.execute(
                sa.text("SELECT set_config('app.current_tenant', :t, true)"), {"t": str(tenant)}
            )
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login_name}
            )
            if not exists:
                conn.exec_driver_sql(f'CREATE ROLE "{login_name}" LOGIN')
            if password is not None:
                _set_password(conn, login_name, password)
            conn.exec_driver_sql(f'GRANT nd_app TO "{login_name}"')
            conn.execute(db_logins.delete().where(db_logins.c.login_name == login_name))
            conn.execute(
                db_logins.insert().values(tenant=tenant, login_name=login_name, user_id=user_id)
            )
            conn.execute(sa.text("SELECT nd_apply_user_grants(:u)"), {"u": user_id})
    finally:
        engine.dispose()


def provision_service_login(owner_url: str, login_name: str, password: str | None = None) -> None:
    """A login for the headless agent: may act for any tenant, with every write right."""
    if not _LOGIN_NAME.match(login_name):
        raise ValueError("A login name is lower-case letters, digits and underscores.")
    engine = create_psa_engine(owner_url)
    try:
        with engine.begin() as conn:
            exists = conn.scalar(
                sa.text("SELECT 1 FROM pg_roles WHERE rolname = :n"), {"n": login_name}
            )
            if not exists:
                conn.exec_driver_sql(f'CREATE ROLE "{login_name}" LOGIN')
            if password is not None:
                _set_password(conn, login_name, password)
            conn.exec_driver_sql(f'GRANT nd_service TO "{login_name}"')
    finally:
        engine.dispose()


def _set_password(conn: sa.Connection, login_name: str, password: str) -> None:
    # DDL takes no bind parameters; quote the literal with the dialect's own rules.
    literal = sa.literal(password, sa.String()).compile(
        dialect=conn.dialect, compile_kwargs={"literal_binds": True}
    )
    conn.exec_driver_sql(f'ALTER ROLE "{login_name}" PASSWORD {literal}')
