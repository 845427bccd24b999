"""The PSA database: schema, migrations, tenant-scoped repositories, rights.

Open it with `PsaDatabase(url)`; do everything inside `psa.tenant_session(tenant, user_id)`.
Who acts comes from Alga: a desktop's user from its Alga API key (identity.py), their rights
from Alga's roles (permissions.py); `user_id None` is the system (the headless agent only).
Set-up without a desktop: check.py, setup.py, cli.py (`ninja-desk psa check|migrate|setup|map`).
See docs/psa-database.md.
"""

from ninja_desk.psa.errors import (
    NotFound,
    PermissionDenied,
    PsaError,
    PsaSchemaMismatch,
    SyncInProgress,
)
from ninja_desk.psa.permissions import current_user_permissions, has_permission
from ninja_desk.psa.tenancy import PsaDatabase, TenantSession

__all__ = [
    "NotFound",
    "PermissionDenied",
    "PsaDatabase",
    "PsaError",
    "PsaSchemaMismatch",
    "SyncInProgress",
    "TenantSession",
    "current_user_permissions",
    "has_permission",
]
