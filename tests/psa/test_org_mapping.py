"""NinjaOne organizations -> Alga clients in rmm_organization_mappings (both backends)."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa

from ninja_desk.psa import org_mapping
from ninja_desk.psa.clients import create_client, list_clients
from ninja_desk.psa.org_mapping import normalise_company_name
from ninja_desk.psa.schema import clients, rmm_organization_mappings
from tests.psa.builders import org
from tests.psa.helpers import ninjaone_integration


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
    return ninjaone_integration(psa.psa, psa.tenant)


def _rows(psa):
    m = rmm_organization_mappings.c
    with psa.psa.tenant_session(psa.tenant) as s:
        return {
            r.external_organization_id: r
            for r in s.conn.execute(
                sa.select(
                    m.external_organization_id,
                    m.external_organization_name,
                    m.client_id,
                    m.auto_sync_assets,
                    m.metadata,
                ).where(m.tenant == psa.tenant)
            )
        }


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
    rows = _rows(psa)
    assert rows["4"].client_id is None  # Alga's "seen, not mapped"
    assert not rows["2"].auto_sync_assets
    assert rows["3"].external_organization_name == "Charlie Inc"
    # Who mapped it and how, under NinjaDesk's own metadata key.
    assert rows["1"].metadata["ninjadesk"]["how"] == "suggestion"
    assert rows["1"].metadata["ninjadesk"]["changedBy"] == str(psa.admin_id)
    assert rows["3"].metadata["ninjadesk"]["how"] == "created_client"


def test_bulk_map_is_all_or_nothing(psa, integration):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        acme = create_client(s, "Acme")
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


def test_auto_map_with_created_clients_says_what_stays_unmapped(psa, integration):
    orgs = [
        org(1, "Acme Ltd"),
        org(2, "Bravo GmbH"),
        org(3, "Charlie Inc"),
        org(4, "Delta"),
        org(5, "Echo"),
        org(6, "Echo"),
    ]
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        acme = create_client(s, "ACME")
        create_client(s, "Bravo")
        create_client(s, "Bravo GmbH")  # two clients match Bravo: a person must choose
        inactive = create_client(s, "Delta")
        s.conn.execute(
            clients.update().where(clients.c.client_id == inactive).values(is_inactive=True)
        )
        plain = org_mapping.auto_map(s, integration, orgs)
        assert [(o.id, c) for o, c in plain.mapped] == [(1, acme)]
        assert plain.created == ()
        assert [o.id for o, _ in plain.unmapped] == [2, 3, 4, 5, 6]
        assert "--create-clients" in dict((o.id, why) for o, why in plain.unmapped)[3]

        made = org_mapping.auto_map(s, integration, orgs, create_clients=True)
        assert made.mapped[0][0].id == 6  # the second "Echo" shares the first one's client
        assert [o.id for o, _ in made.created] == [3, 5]
        reasons = {o.id: why for o, why in made.unmapped}
        assert set(reasons) == {2, 4}
        assert "Several clients" in reasons[2] and "inactive" in reasons[4]
        names = {c.client_id: c.name for c in list_clients(s)}
    rows = _rows(psa)
    assert names[rows["3"].client_id] == "Charlie Inc"
    assert rows["5"].client_id == rows["6"].client_id
    assert rows["1"].client_id == acme and rows["2"].client_id is None


def test_known_organizations_come_from_the_recorded_mappings(psa, integration):
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        org_mapping.record_seen_organizations(s, integration, ORGS[:3])
        org_mapping.record_seen_organizations(s, integration, ORGS[:2])
        known = org_mapping.known_organizations(s, integration)
    assert [(o.id, o.name) for o in known] == [(1, "Acme Ltd"), (2, "Bravo GmbH")]


def test_mapping_metadata_keeps_algas_keys(psa, integration):
    m = rmm_organization_mappings
    with psa.psa.tenant_session(psa.tenant, psa.admin_id) as s:
        s.conn.execute(
            m.insert().values(
                tenant=psa.tenant,
                mapping_id=uuid.uuid4(),
                integration_id=integration,
                external_organization_id="1",
                external_organization_name="Acme Ltd",
                metadata={"nodeApprovalMode": "AUTOMATIC"},
            )
        )
        acme = create_client(s, "Acme")
        org_mapping.map_organization(s, integration, ORGS[0], acme)
        org_mapping.record_seen_organizations(s, integration, ORGS[:1])
    row = _rows(psa)["1"]
    assert row.client_id == acme
    assert row.metadata["nodeApprovalMode"] == "AUTOMATIC"
    assert row.metadata["ninjadesk"]["lastSeenAt"]
