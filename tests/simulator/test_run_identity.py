"""A restarted simulator never reuses an earlier run's alert uids or activity ids.

The demo keeps its profile (cache, PSA) between launches; when a relaunched simulator handed out
the same uids and lower activity ids, live alerts stopped and alerts were linked to the wrong
client's tickets. A fixed base_time (or run_epoch) still gives byte-identical runs for tests.
"""

from __future__ import annotations

from ninja_desk.simulator import SimulatorConfig
from ninja_desk.simulator.tenant import Tenant

BASE = 1_759_100_000.0


def _alert_uids(tenant: Tenant) -> set[str]:
    return set(tenant.alerts)


def _live(tenant: Tenant, n: int = 5) -> list[dict]:
    ids = tenant.fleet.sorted_device_ids()
    return [tenant.trigger_alert(ids[i], severity="MAJOR") for i in range(n)]


def test_a_later_run_gets_new_uids_and_higher_activity_ids() -> None:
    first = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7))
    first_live = _live(first)
    second = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7))
    second_live = _live(second)
    assert first.fleet.sorted_device_ids() == second.fleet.sorted_device_ids()  # same fleet
    assert not {a["uid"] for a in first_live} & {a["uid"] for a in second_live}
    assert not _alert_uids(first) & _alert_uids(second)
    # The new run's activities are all newer than anything the old run recorded, so a saved
    # high-water mark from the old run never hides them.
    newest_of_first = first.activities.last_id
    second_ids = [row["id"] for row in second.activities.page(
        older_than=None, newer_than=None, page_size=1000)]  # fmt: skip
    assert min(second_ids) > newest_of_first


def test_a_later_run_epoch_continues_above_a_busy_earlier_run() -> None:
    early = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7, base_time=BASE))
    for _ in range(200):
        _live(early, 1)
    late = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7, base_time=BASE, run_epoch=BASE + 1))
    assert late.activities.page(older_than=None, newer_than=early.activities.last_id,
                                page_size=10)  # fmt: skip
    assert not _alert_uids(early) & _alert_uids(late)


def test_a_fixed_base_time_still_repeats_exactly() -> None:
    a = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7, base_time=BASE))
    b = Tenant(SimulatorConfig(orgs=2, devices=60, seed=7, base_time=BASE))
    assert _alert_uids(a) == _alert_uids(b)
    assert [x["uid"] for x in _live(a)] == [x["uid"] for x in _live(b)]
    assert a.activities.last_id == b.activities.last_id
