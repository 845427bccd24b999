"""Rights come from Alga (roles -> permissions), the user from an Alga API key.

Runs on SQLite and PostgreSQL against the Alga-shaped schema NinjaDesk creates.
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from ninja_desk.psa.clock import utcnow
from ninja_desk.psa.errors import PermissionDenied
from ninja_desk.psa.identity import (
    ApiKeyRefused,
    create_api_key,
    hash_api_key,
    identify,
    identify_or_read_only,
)
from ninja_desk.psa.permissions import (
    ACT_ALERTS,
    ADMINISTER_RIGHTS,
    ALGA_RIGHT_FOR,
    ALL_PERMISSIONS,
    CONFIGURE_ALERT_RULES,
    CONFIGURE_INTEGRATION,
    CREATE_TICKETS,
    READ_ONLY_NO_KEY,
    READ_ONLY_NO_RIGHTS,
    REMOTE_CONNECT,
    SYNC_DEVICES,
    VIEW_DEVICES,
    VIEW_PERMISSIONS,
    actions_for_rights,
    current_user_permissions,
    has_permission,
    permissions_of,
    require,
    rights_map,
)
from ninja_desk.psa.schema import api_keys, tenants, users
from ninja_desk.psa.tenants import DEFAULT_ROLES, create_user, set_role_rights

TECH_ACTIONS = frozenset(
    {
        "devices.view",
        "alerts.view",
        "tickets.view",
        "tickets.create",
        "alerts.act",
        "tickets.assign",
        "tickets.update",
        "devices.sync",
        "remote.connect",
    }
)


@pytest.fixture
def people(psa):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        tech = create_user(s, "tech.bob", ["Technician"], email="bob@msp.example")
        idle = create_user(s, "idle.ida", [], email="ida@msp.example")
    return tech, idle


def test_rights_map_is_alga_rights_and_the_documented_table():
    assert ALGA_RIGHT_FOR[VIEW_DEVICES] == ("asset", "read")
    assert ALGA_RIGHT_FOR[CREATE_TICKETS] == ("ticket", "create")
    assert ALGA_RIGHT_FOR[ACT_ALERTS] == ("ticket", "update")
    assert ALGA_RIGHT_FOR[CONFIGURE_INTEGRATION] == ("settings", "update")
    assert ALGA_RIGHT_FOR[REMOTE_CONNECT] == ("rmm", "execute_command")
    assert {row["action"] for row in rights_map()} == ALL_PERMISSIONS
    assert actions_for_rights(frozenset({("ticket", "create")})) == {CREATE_TICKETS}
    # an admin shortcut does not exist in Alga, so none exists here either
    assert actions_for_rights(frozenset({("admin", "all")})) == frozenset()


def test_roles_grant_exactly_their_alga_rights(psa, people):
    tech, idle = people
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        assert current_user_permissions(s) == TECH_ACTIONS
        assert actions_for_rights(DEFAULT_ROLES["Technician"]) == TECH_ACTIONS
        assert has_permission(s, tech, CREATE_TICKETS)
        assert not has_permission(s, tech, CONFIGURE_ALERT_RULES)
        assert has_permission(s, psa.admin_id, ADMINISTER_RIGHTS)
        assert permissions_of(s, idle) == frozenset()
        with pytest.raises(PermissionDenied, match="settings:update"):
            require(s, CONFIGURE_ALERT_RULES)
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        set_role_rights(s, "Technician", [("asset", "read")])
    with psa.psa.tenant_session(psa.tenant, tech) as s:
        assert current_user_permissions(s) == {"devices.view", "alerts.view"}


def test_rights_of_an_inactive_or_client_user_are_none(psa, people):
    tech, _idle = people
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            users.update()
            .where(users.c.tenant == psa.tenant, users.c.user_id == tech)
            .values(is_inactive=True)
        )
        assert permissions_of(s, tech) == frozenset()
        s.conn.execute(
            users.update()
            .where(users.c.tenant == psa.tenant, users.c.user_id == tech)
            .values(is_inactive=False, user_type="client")
        )
        assert permissions_of(s, tech) == frozenset()


def test_system_session_holds_every_right_and_a_read_only_one_only_looks(psa):
    with psa.psa.tenant_session(psa.tenant) as s:
        assert current_user_permissions(s) == ALL_PERMISSIONS
    with psa.psa.tenant_session(psa.tenant) as s:
        s.permission_cache = VIEW_PERMISSIONS  # what a desktop without an identity gets
        require(s, VIEW_DEVICES)
        with pytest.raises(PermissionDenied, match="ticket:create"):
            require(s, CREATE_TICKETS)
        assert not has_permission(s, None, SYNC_DEVICES)


def test_api_key_identifies_its_user_with_their_rights(psa, people):
    tech, _idle = people
    key = create_api_key(psa.psa, psa.tenant, tech)
    assert len(key) == 64
    with psa.psa.engine.connect() as conn:
        stored = conn.scalar(sa.select(api_keys.c.api_key).where(api_keys.c.user_id == tech))
        assert stored == hashlib.sha256(key.encode()).hexdigest() == hash_api_key(key)
        assert key not in str(stored)
    before = utcnow()
    who = identify(psa.psa, key, psa.tenant)
    assert (who.tenant, who.user_id, who.email) == (psa.tenant, tech, "bob@msp.example")
    assert who.permissions == TECH_ACTIONS
    assert ("rmm", "execute_command") in who.alga_rights
    assert not who.read_only and who.read_only_reason is None
    assert who.summary() == "Signed in to Alga as tech.bob <bob@msp.example>."
    with psa.psa.engine.connect() as conn:
        used = conn.scalar(sa.select(api_keys.c.last_used_at).where(api_keys.c.user_id == tech))
    assert used is not None and used >= before - timedelta(seconds=1)
    # the key as a user pastes it, with stray spaces, still works
    assert identify(psa.psa, f"  {key}\n").user_id == tech


def _key_row(psa, key: str, **values):
    with psa.psa.tenant_session(psa.tenant) as s:
        s.conn.execute(
            api_keys.update().where(api_keys.c.api_key == hash_api_key(key)).values(**values)
        )


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ("inactive_key", "deactivated; create a new one"),
        ("expired", "has expired"),
        ("inactive_user", "user of this API key is deactivated"),
        ("client_user", "client-portal user"),
        ("suspended", "tenant of this API key is suspended"),
        ("deleted_user", "no longer exists"),
    ],
)
def test_api_key_refusals_say_why(psa, people, change, sentence):
    tech, _idle = people
    key = create_api_key(psa.psa, psa.tenant, tech)
    u = users.update().where(users.c.tenant == psa.tenant, users.c.user_id == tech)
    if change == "inactive_key":
        _key_row(psa, key, active=False)
    elif change == "expired":
        _key_row(psa, key, expires_at=utcnow() - timedelta(minutes=1))
    elif change == "deleted_user":
        # Alga's api_keys has no foreign key to users: a deleted user leaves the key behind
        _key_row(psa, key, user_id=uuid.uuid4())
    with psa.psa.tenant_session(psa.tenant) as s:
        if change == "inactive_user":
            s.conn.execute(u.values(is_inactive=True))
        elif change == "client_user":
            s.conn.execute(u.values(user_type="client"))
        elif change == "suspended":
            s.conn.execute(
                tenants.update()
                .where(tenants.c.tenant == psa.tenant)
                .values(suspended_at=utcnow(), suspended_reason="tenant_cancelled")
            )
    with pytest.raises(ApiKeyRefused, match=sentence):
        identify(psa.psa, key)
    ro = identify_or_read_only(psa.psa, key, psa.tenant)
    assert ro.read_only and ro.user_id is None
    assert ro.read_only_reason.startswith("Read-only: ") and sentence in ro.read_only_reason


def test_unknown_malformed_and_foreign_tenant_keys_are_refused(psa, people):
    tech, _idle = people
    with pytest.raises(ApiKeyRefused, match="not an Alga API key"):
        identify(psa.psa, "not-a-key")
    with pytest.raises(ApiKeyRefused, match="does not know this API key"):
        identify(psa.psa, "ab" * 32)
    key = create_api_key(psa.psa, psa.tenant, tech)
    other = psa.new_tenant(f"Other {uuid.uuid4().hex[:6]}")
    with pytest.raises(ApiKeyRefused, match="another tenant"):
        identify(psa.psa, key, other.tenant)


def test_no_key_or_a_key_without_rights_is_read_only_with_a_sentence(psa, people):
    _tech, idle = people
    none = identify_or_read_only(psa.psa, None, psa.tenant)
    assert none.read_only and none.summary() == READ_ONLY_NO_KEY
    key = create_api_key(psa.psa, psa.tenant, idle)
    who = identify_or_read_only(psa.psa, key, psa.tenant)
    assert who.user_id == idle and who.read_only
    assert who.summary() == READ_ONLY_NO_RIGHTS
