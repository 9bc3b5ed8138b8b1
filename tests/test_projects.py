"""Energy and carbon review of proposed projects, with hand-computed values.

GB/T 2589-2020: electricity 0.1229 kgce/kWh (当量值), raw coal 0.7143 kgce/kg, natural gas 1.3300 kgce/m³ (FACTS §1).
Review levels (FACTS §9): exempt under 1 000 tce AND under 5 000 000 kWh a year; provincial from 10 000 tce.
"""

from __future__ import annotations

from typing import Any

import pytest

from carbon.audit import verify
from carbon.errors import InvalidInput
from carbon.indicators.plans import Indicator
from carbon.projects import RegionContext, project_energy, review_level, review_project, review_thresholds, room_left
from carbon.reports.plan_targets import set_plan
from carbon.reports.projects import decide_project, project_review, save_project

THRESHOLDS = review_thresholds()


def _project(*energy: tuple[str, float, str], start_year: int = 2027, **extra: Any) -> dict[str, Any]:
    return {"region": "gz-htz", "name": "示范项目", "industry": "C3974", "kind": "new", "start_year": start_year,
            "energy": [{"carrier": c, "quantity": q, "unit": u} for c, q, u in energy], "output_value": 50_000,
            "value_added": 20_000, **extra}


def test_thresholds_come_from_the_dated_file_with_sources() -> None:
    assert (THRESHOLDS.exempt_tce_below, THRESHOLDS.exempt_kwh_below, THRESHOLDS.provincial_tce_at_least) == \
        (1000, 5_000_000, 10_000)
    assert THRESHOLDS.edition == "2023-06-01"
    assert "2023年第2号" in THRESHOLDS.sources["provincial_tce_at_least"]


@pytest.mark.parametrize("tce, kwh, level", [
    (999.9, 4_999_999, "exempt"),
    (1000.0, 0, "local"),          # at the tce threshold
    (999.9, 5_000_000, "local"),   # at the electricity threshold
    (9_999.9, 0, "local"),
    (10_000.0, 0, "provincial"),
])
def test_review_level_at_each_side_of_the_thresholds(tce: float, kwh: float, level: str) -> None:
    assert review_level(tce, kwh, THRESHOLDS)[0] == level


def test_a_region_may_override_a_threshold() -> None:
    stricter = review_thresholds({"exempt_tce_below": {"value": 500, "source": "municipal notice"}})
    assert review_level(600, 0, stricter)[0] == "local"
    assert stricter.sources["exempt_tce_below"] == "region override: municipal notice"
    with pytest.raises(InvalidInput, match="unknown review threshold"):
        review_thresholds({"exempt_below": {"value": 1}})


def test_project_tce_is_the_sum_of_its_carriers_at_gbt_2589() -> None:
    by_carrier, totals = project_energy(
        [{"carrier": "电力", "quantity": 1000, "unit": "万千瓦时"}, {"carrier": "原煤", "quantity": 1000, "unit": "吨"},
         {"carrier": "天然气", "quantity": 10, "unit": "万立方米"}], year=2026, grid_region="guangdong")
    # 1e7 kWh x 0.1229 + 1e6 kg x 0.7143 + 1e5 m³ x 1.3300 [kgce] = 1 229 + 714.3 + 133 tce
    assert list(by_carrier["tce_equivalent"]) == pytest.approx([1229.0, 714.3, 133.0])
    assert totals["annual_tce_equivalent"] == pytest.approx(2076.3)
    assert totals["annual_tce_equivalent"] == pytest.approx(by_carrier["tce_equivalent"].sum())
    assert totals["annual_kwh"] == pytest.approx(1e7)
    assert totals["annual_tce_equal"] > totals["annual_tce_equivalent"]  # electricity at its coal rate
    assert set(by_carrier["tce_factor"]) == {"gbt2589:electricity", "gbt2589:raw_coal", "gbt2589:natural_gas"}


@pytest.mark.parametrize("energy, level", [
    (("电力", 400, "万千瓦时"), "exempt"),      # 491.6 tce, 4 000 000 kWh
    (("电力", 500, "万千瓦时"), "local"),       # 614.5 tce but 5 000 000 kWh
    (("原煤", 1399, "吨"), "exempt"),          # 999.3 tce
    (("原煤", 1400, "吨"), "local"),           # 1 000.02 tce
    (("原煤", 13_999, "吨"), "local"),         # 9 999.4 tce
    (("原煤", 14_000, "吨"), "provincial"),    # 10 000.2 tce
])
def test_reviews_at_each_side_of_the_thresholds(energy: tuple[str, float, str], level: str) -> None:
    review = review_project(_project(energy), RegionContext(code="gz-htz"), grid_region="guangdong")
    assert review["review_level"] == level


def test_products_against_their_limits_and_the_verdict() -> None:
    products = [{"product": "cement_clinker", "quantity": 100_000, "unit": "t", "unit_energy": 110}]
    new = review_project(_project(("原煤", 100, "吨"), products=products), RegionContext(code="gz-htz"))
    # 110 kgce/t: under the limit 117 but above the entry value 107 that a new plant must meet
    assert new["products"][0]["grade"] == "limit" and new["products"][0]["meets_required"] is False
    assert new["verdict"] == "not_recommended"
    rebuild = review_project(_project(("原煤", 100, "吨"), products=products, kind="rebuild"),
                             RegionContext(code="gz-htz"))
    assert rebuild["products"][0]["meets_required"] is True and rebuild["verdict"] == "conditional"


CONTEXT = RegionContext(
    code="gz-htz", latest_year=2025, energy_tce=400_000, co2_t=1_000_000, gdp_constant=1_000_000,
    gdp_growth_pct=5.0, latest_values={"co2_intensity": 1.0, "energy_total": 400_000},
    indicators=[("15th-fyp", Indicator("co2_intensity", 2025, 2030, change_pct=-17), 1.0)])


def test_room_left_under_a_co2_intensity_target() -> None:
    # 2027: path 0.83^(2/5) = 0.928178 t/万元 x GDP 1e6 x 1.05² = 1 023 316 t allowed; the region's 1 000 000 t
    # held: 23 316 t of room; a project of 10 000 t takes 42.9 % of it
    room = room_left(CONTEXT.indicators[0][1], 1.0, CONTEXT, year=2027, project_amount=10_000)
    assert room["allowed"] == pytest.approx(1_023_316.17, abs=0.01)
    assert room["room"] == pytest.approx(23_316.17, abs=0.01)
    assert room["share_pct"] == pytest.approx(10_000 / 23_316.17 * 100, rel=1e-6)
    approved = RegionContext(**{**CONTEXT.__dict__, "approved": [
        {"id": 1, "start_year": 2026, "annual_tce_equivalent": 1000, "annual_co2_t": 5000},
        {"id": 2, "start_year": 2029, "annual_tce_equivalent": 1000, "annual_co2_t": 5000}]})
    room = room_left(CONTEXT.indicators[0][1], 1.0, approved, year=2027, project_amount=10_000)
    assert room["approved_ids"] == [1] and room["room"] == pytest.approx(18_316.17, abs=0.01)
    full = room_left(CONTEXT.indicators[0][1], 1.0, approved, year=2027, project_amount=20_000)
    assert full["exceeds"] is True


def _seed_region(store) -> None:
    # CO2 intensity 1.0 t/万元 in 2025 with 5 % real growth since 2024; −17 % by 2030
    store.put_statistics("gz-htz", 2024, gdp_constant=1_000_000 / 1.05, energy_total_tce=390_000,
                         co2_total_t=990_000)
    store.put_statistics("gz-htz", 2025, gdp_constant=1_000_000, energy_total_tce=400_000, co2_total_t=1_000_000)
    set_plan(store, "gz-htz", "15th-fyp", [{"kind": "co2_intensity", "base_year": 2025, "target_year": 2030,
                                            "change_pct": -17, "binding": True, "source": "national -17 %"}])


def _co2_share(store, start_year: int) -> float:
    review = project_review(store, _project(("原煤", 1000, "吨"), start_year=start_year))
    return review["room"][0]["share_pct"], review["room"][0]["room"]


def test_an_approved_project_counts_against_the_room_from_its_start_year(fresh_store) -> None:
    _seed_region(fresh_store)
    share, room = _co2_share(fresh_store, 2027)
    assert room == pytest.approx(23_316.17, abs=0.01)
    other = save_project(fresh_store, _project(("原煤", 2000, "吨"), start_year=2028), actor="test")
    decide_project(fresh_store, other["id"], decision="approved", reason="meets the entry values", actor="bureau")
    assert _co2_share(fresh_store, 2027) == pytest.approx((share, room))  # starts after 2027: no effect yet
    in_2028 = project_review(fresh_store, _project(("原煤", 1000, "吨"), start_year=2028))["room"][0]
    assert in_2028["approved_ids"] == [other["id"]] and in_2028["approved_projects"] == other["annual_co2_t"]

    earlier = save_project(fresh_store, _project(("原煤", 2000, "吨"), start_year=2026), actor="test")
    decide_project(fresh_store, earlier["id"], decision="approved_with_conditions", reason="ok", actor="bureau")
    now, left = _co2_share(fresh_store, 2027)
    assert left == pytest.approx(room - earlier["annual_co2_t"])
    assert now > share


def test_stored_reviews_and_decisions_are_audited(fresh_store) -> None:
    _seed_region(fresh_store)
    stored = save_project(fresh_store, _project(("电力", 500, "万千瓦时")), actor="token:abc")
    assert stored["status"] == "pending" and stored["review"]["review_level"] == "local"
    decided = decide_project(fresh_store, stored["id"], decision="rejected", reason="no room", actor="token:def")
    assert (decided["status"], decided["decision_reason"], decided["decided_by"]) == ("rejected", "no room",
                                                                                      "token:def")
    entries = [e for e in fresh_store.iter_audit() if e["entity"] == "project"]
    assert [e["action"] for e in entries] == ["create", "decide"]
    assert entries[1]["entity_key"] == str(stored["id"]) and "rejected" in entries[1]["new"]
    assert verify(fresh_store).ok
    with pytest.raises(InvalidInput, match="unknown decision"):
        decide_project(fresh_store, stored["id"], decision="maybe", reason="x", actor="bureau")


def test_a_region_without_a_target_or_data_is_reviewed_with_notes(fresh_store) -> None:
    """Found by the API fuzzer: a region with neither a target nor data answered 500 (its intensity report has no
    years, and a frame made from no rows had no year column)."""
    fresh_store.upsert_region("bare", name="新区", grid_region="guangdong")
    review = project_review(fresh_store, {**_project(("电力", 100, "万千瓦时")), "region": "bare"})
    assert review["annual_kwh"] == pytest.approx(1e6)
    assert review["notes"]
