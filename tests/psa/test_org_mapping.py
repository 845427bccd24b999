from __future__ import annotations

import pytest

from ninja_desk.psa import audit, org_mapping
from ninja_desk.psa.clients import create_client, list_clients
from ninja_desk.psa.integrations import connect_integration
from ninja_desk.psa.org_mapping import normalise_company_name
from tests.psa.builders import org


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Acme Ltd", "ACME"),
        ("Acme, Inc.", "acme"),
        ("The Acme Company LLC", "Acme"),
        ("Müller GmbH", "Muller"),
        ("Smith & Sons Ltd.", "Smith and Sons"),
        ("Contoso Pty Ltd", "contoso"),
    ],
)
def test_names_normalise_to_the_same_key(a, b):
    assert normalise_company_name(a) == normalise_company_name(b)


def test_different_companies_stay_different():
    assert normalise_company_name("Acme Labs Ltd") != normalise_company_name("Acme Ltd")


@pytest.fixture
def integration(psa):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        return connect_integration(s, "https://eu.ninjarmm.com")


ORGS = [org(1, "Acme Ltd"), org(2, "Bravo GmbH"), org(3, "Charlie Inc"), org(4, "Delta")]


def test_mapping_states_suggestions_create_and_leave_unmapped(psa, integration):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        acme = create_client(s, "ACME")
        create_client(s, "bravo")
        states = {
            st.organization.id: st for st in org_mapping.list_org_mappings(s, integration, ORGS)
        }
        assert not any(st.mapped for st in states.values())
        assert [c.client_id for c in states[1].suggestions] == [acme]
        assert [c.name for c in states[2].suggestions] == ["bravo"]
        assert states[3].suggestions == ()

        assert org_mapping.map_by_suggestion(s, integration, ORGS) == 2
        charlie = org_mapping.create_client_from_organization(s, integration, ORGS[2])
        org_mapping.map_organization(s, integration, ORGS[3], None)  # leave unmapped
        org_mapping.set_auto_sync(s, integration, ORGS[1], False)

        states = {
            st.organization.id: st for st in org_mapping.list_org_mappings(s, integration, ORGS)
        }
        assert (states[1].client_id, states[1].client_name) == (acme, "ACME")
        assert states[2].mapped and not states[2].auto_sync
        assert states[3].client_id == charlie and states[3].client_name == "Charlie Inc"
        assert not states[4].mapped and states[4].suggestions == ()
        assert "Charlie Inc" in [c.name for c in list_clients(s)]
        actions = [
            e.action for e in audit.read_audit_log(s, entity_type="rmm_organization_mapping")
        ]
    assert actions.count("org_mapping.mapped") == 3
    assert actions.count("org_mapping.unmapped") == 1
    assert actions.count("org_mapping.auto_sync") == 1


def test_bulk_map_is_all_or_nothing(psa, integration):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        acme = create_client(s, "Acme")
    import uuid

    with pytest.raises(Exception), psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:  # noqa: B017
        org_mapping.bulk_map(s, integration, [(ORGS[0], acme), (ORGS[1], uuid.uuid4())])
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        assert org_mapping.load_mappings(s, integration) == {}
        assert org_mapping.bulk_map(s, integration, [(ORGS[0], acme), (ORGS[1], acme)]) == 2
        assert {r.client_id for r in org_mapping.load_mappings(s, integration).values()} == {acme}


def test_orgs_that_appeared_or_vanished_since_the_last_sync(psa, integration):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        first = org_mapping.record_seen_organizations(s, integration, ORGS[:3])
        assert [o.id for o in first.appeared] == [1, 2, 3] and first.vanished == ()
        again = org_mapping.record_seen_organizations(s, integration, ORGS[:3])
        assert again.appeared == () and again.vanished == ()
        changed = org_mapping.record_seen_organizations(s, integration, [ORGS[0], ORGS[3]])
        assert [o.id for o in changed.appeared] == [4]
        assert sorted(changed.vanished) == [("2", "Bravo GmbH"), ("3", "Charlie Inc")]
        back = org_mapping.record_seen_organizations(s, integration, [ORGS[0], ORGS[1], ORGS[3]])
        assert [o.id for o in back.appeared] == [2] and back.vanished == ()
        states = {
            st.organization.id: st for st in org_mapping.list_org_mappings(s, integration, ORGS)
        }
        assert states[3].vanished_at is not None and states[1].vanished_at is None
