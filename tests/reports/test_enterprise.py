"""Enterprise reports against hand-computed values: energy by month, year and carrier; compliance (coverage,
quota on either basis, energy per output value, products against their 能耗限额); screening metrics (estimated
from six months on); telemetry quality (a day is complete at 90 % of its 96 quarter-hours, GB/T 38692-2020).

Factors behind the numbers (``carbon/factors/*.csv``):
- electricity 0.1229 kgce/kWh (GB/T 2589-2020 Table A.2, 当量值): 100 万kWh = 122.9 tce = 3 600 GJ;
- electricity 等价值 2024 = the CEC 2022 supply coal rate 0.3007 kgce/kWh (newest earlier year): 100 万kWh = 300.7 tce;
- Guangdong grid 0.4403 tCO2/MWh (MEE/NBS 2022, used for 2023 on by fallback): 100 万kWh = 440.3 t;
- diesel 1.4571 kgce/kg (GB/T 2589-2020 Table A.1), 42.652 GJ/t x 20.2 tC/TJ x 0.98 x 44/12 = 3.0959097 tCO2/t
  (GB/T 32150-2015 defaults);
- natural gas 1.3300 kgce/m3 (Table A.1), 38.931 MJ/m3: 1 万m3 = 13.3 tce = 389.31 GJ, 21.621888 tCO2;
- on-site PV: 0.1229 kgce/kWh like any electricity, no CO2.
- cement clinker (GB 16780-2021 Table 2, ``carbon/rules/energy_limits-*.csv``): advanced 100, entry 107, limit
  117 kgce/t.
"""

from __future__ import annotations

import json

import pytest

from carbon.errors import NotFound
from carbon.reports import enterprise_compliance, enterprise_energy, enterprise_metrics, enterprise_telemetry
from carbon.store import Scope, Store
from tests.reports.conftest import electricity, months

EVERYONE = Scope.everything()
DIESEL_CO2 = 3.0959097  # tCO2/t


def pv(periods: list[str], amount: float) -> list[dict]:
    return [{"period": period, "carrier": "光伏", "quantity": amount, "unit": "万千瓦时"} for period in periods]


# -- energy -----------------------------------------------------------------------------------------------------


@pytest.fixture
def energy(fresh_store: Store, submit) -> Store:
    """GZHTZ-0001: Dec 2023 1 万m3 gas; Jan 2024 100 万kWh and 2 t diesel; Feb 2024 50 万kWh."""
    submit("GZHTZ-0001", [
        {"period": "2023-12", "carrier": "天然气", "quantity": 1, "unit": "万立方米"},
        {"period": "2024-01", "carrier": "电力", "quantity": 100, "unit": "万千瓦时"},
        {"period": "2024-01", "carrier": "柴油", "quantity": 2, "unit": "吨"},
        {"period": "2024-02", "carrier": "电力", "quantity": 50, "unit": "万千瓦时"},
    ])
    return fresh_store


def test_energy_by_month(energy: Store) -> None:
    report = enterprise_energy(energy, EVERYONE, "GZHTZ-0001")
    assert report["by"] == "month" and report["enterprise_id"] == "GZHTZ-0001"
    rows = {row["key"]["period"]: row for row in report["rows"]}
    assert list(rows) == ["2023-12", "2024-01", "2024-02"]
    january = rows["2024-01"]
    # 122.9 + 2 x 1.4571 = 125.8142 tce; 等价值 300.7 + 2.9142 = 303.6142 tce (diesel has one value);
    # 440.3 + 2 x 3.0959097 = 446.4918194 t; 3 600 + 2 x 42.652 = 3 685.304 GJ
    assert january["tce_equivalent"] == pytest.approx(125.8142)
    assert january["tce_equal"] == pytest.approx(303.6142)
    assert january["co2_t"] == pytest.approx(440.3 + 2 * DIESEL_CO2)
    assert january["energy_gj"] == pytest.approx(3685.304)
    assert january["rows"] == 2
    assert rows["2024-02"]["tce_equivalent"] == pytest.approx(61.45)
    # total: 13.3 + 125.8142 + 61.45 = 200.5642 tce over 4 rows
    assert report["total"]["tce_equivalent"] == pytest.approx(200.5642)
    assert report["total"]["rows"] == 4 and report["total"]["key"] == {}


def test_energy_by_year_and_window(energy: Store) -> None:
    years = {row["key"]["year"]: row["tce_equivalent"]
             for row in enterprise_energy(energy, EVERYONE, "GZHTZ-0001", by="year")["rows"]}
    assert years == {2023: pytest.approx(13.3), 2024: pytest.approx(187.2642)}  # 125.8142 + 61.45
    window = enterprise_energy(energy, EVERYONE, "GZHTZ-0001", start="2024-01", end="2024-01")
    assert [row["key"]["period"] for row in window["rows"]] == ["2024-01"]
    assert window["total"]["tce_equivalent"] == pytest.approx(125.8142)
    assert (window["start"], window["end"]) == ("2024-01", "2024-01")


def test_energy_by_carrier_with_chinese_names(energy: Store) -> None:
    rows = enterprise_energy(energy, EVERYONE, "GZHTZ-0001", by="carrier")["rows"]
    assert [(row["key"]["carrier"], row["key"]["carrier_zh"]) for row in rows] == [
        ("diesel", "柴油"), ("electricity", "电力"), ("natural_gas", "天然气")]
    assert [row["tce_equivalent"] for row in rows] == [pytest.approx(2.9142), pytest.approx(184.35),
                                                       pytest.approx(13.3)]  # 150 万kWh x 1.229
    both = enterprise_energy(energy, EVERYONE, "GZHTZ-0001", by="month_carrier")["rows"]
    assert [(row["key"]["period"], row["key"]["carrier"]) for row in both] == [
        ("2023-12", "natural_gas"), ("2024-01", "diesel"), ("2024-01", "electricity"), ("2024-02", "electricity")]


def test_energy_outside_the_scope_or_without_data_is_empty(energy: Store) -> None:
    assert enterprise_energy(energy, Scope.only("GZHTZ-0002"), "GZHTZ-0001")["rows"] == []
    nothing = enterprise_energy(energy, EVERYONE, "GZHTZ-0003")
    assert nothing["rows"] == [] and nothing["total"] is None


def test_energy_grouping_must_be_known(energy: Store) -> None:
    with pytest.raises(ValueError, match="by must be one of"):
        enterprise_energy(energy, EVERYONE, "GZHTZ-0001", by="week")


# -- compliance -------------------------------------------------------------------------------------------------


@pytest.fixture
def compliance(fresh_store: Store, submit) -> Store:
    """GZHTZ-0001 in 2024: 100 万kWh in January, February and April (March not reported).

    Output: January 10 000 万元 and 1 000 t clinker; February 5 000 万元 and 1 400 t clinker; March 8 000 万元 (no
    energy reported for March, so March's output is left out).
    """
    submit("GZHTZ-0001", electricity(months(2024, 1, 2, 4), 100))
    fresh_store.put_output("GZHTZ-0001", "2024-01", [{"product": "", "output_value": 10_000},
                                                     {"product": "cement_clinker", "quantity": 1_000, "unit": "t"}])
    fresh_store.put_output("GZHTZ-0001", "2024-02", [{"product": "", "output_value": 5_000},
                                                     {"product": "cement_clinker", "quantity": 1_400, "unit": "t"}])
    fresh_store.put_output("GZHTZ-0001", "2024-03", [{"product": "", "output_value": 8_000}])
    return fresh_store


def test_compliance_totals_coverage_and_gaps(compliance: Store) -> None:
    result = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)
    assert result["name"] == "示范显示科技"
    # 3 x 122.9 = 368.7 tce; 3 x 300.7 = 902.1 tce (等价值); 3 x 440.3 = 1 320.9 t
    assert result["tce_equivalent"] == pytest.approx(368.7)
    assert result["tce_equal"] == pytest.approx(902.1)
    assert result["co2_t"] == pytest.approx(1320.9)
    assert result["coverage"]["measured"] == months(2024, 1, 2, 4)
    assert result["coverage"]["gaps"] == ["2024-03"]
    assert result["notes"] == ["months without a report: 2024-03 — totals cover reported months only"]
    assert result["quota"] is None


def test_a_quota_on_the_equal_value_basis(compliance: Store) -> None:
    # 902.1 tce of 2 000 = 45.105 %; projected 902.1 + 9 x 300.7 = 3 608.4 tce = 180.42 %: over
    compliance.put_quota("GZHTZ-0001", 2024, 2_000, basis="equal")
    quota = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["quota"]
    assert quota["basis"] == "equal"
    assert quota["used_tce"] == pytest.approx(902.1) and quota["used_pct"] == pytest.approx(45.105)
    assert quota["projected_tce"] == pytest.approx(3608.4) and quota["projected_pct"] == pytest.approx(180.42)
    assert quota["projected_over"] is True


def test_a_quota_on_the_equivalent_basis(compliance: Store) -> None:
    # 368.7 tce of 2 000 = 18.435 %; projected 12 x 122.9 = 1 474.8 tce = 73.74 %: not over
    compliance.put_quota("GZHTZ-0001", 2024, 2_000, basis="equivalent")
    quota = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["quota"]
    assert quota["basis"] == "equivalent"
    assert quota["used_pct"] == pytest.approx(18.435)
    assert quota["projected_tce"] == pytest.approx(1474.8) and quota["projected_over"] is False


def test_energy_per_output_value_over_months_with_both(compliance: Store) -> None:
    # January and February have energy and output: 245.8 tce / 15 000 万元 = 0.0163867 tce/万元
    per_output = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["energy_per_output"]
    assert per_output["months"] == months(2024, 1, 2)
    assert per_output["energy_tce"] == pytest.approx(245.8)
    assert per_output["output_value_10k_yuan"] == pytest.approx(15_000)
    assert per_output["tce_per_10k_yuan"] == pytest.approx(245.8 / 15_000)


def test_a_product_against_its_energy_limit(compliance: Store) -> None:
    # Clinker in Jan-Feb: 245.8 tce / 2 400 t = 102.42 kgce/t: above the advanced 100, within the entry 107
    [product] = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["products"]
    assert product["product"] == "cement_clinker" and product["months"] == months(2024, 1, 2)
    assert (product["quantity"], product["quantity_unit"]) == (2_400, "t")
    assert product["unit_energy"] == pytest.approx(245.8 * 1000 / 2400)
    assert (product["unit"], product["advanced"], product["entry"], product["limit"]) == ("kgce/t", 100, 107, 117)
    assert (product["grade"], product["passed_limit"]) == ("entry", True)
    assert "whole energy" not in product["note"]  # the standard's own note; one product carries all the energy


def test_a_product_over_its_limit_and_an_unknown_product(compliance: Store) -> None:
    # January alone: 122.9 tce / 1 000 t = 122.9 kgce/t > 117 → over the limit; a second (unknown) product
    compliance.put_output("GZHTZ-0001", "2024-02", [{"product": "", "output_value": 5_000},
                                                    {"product": "widgets", "quantity": 10, "unit": "t"}])
    products = {p["product"]: p for p in enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["products"]}
    clinker = products["cement_clinker"]
    assert clinker["unit_energy"] == pytest.approx(122.9)
    assert (clinker["grade"], clinker["passed_limit"]) == ("over_limit", False)
    assert "whole energy is attributed to each product" in clinker["note"]
    assert "widgets" in products["widgets"]["error"] and "unit_energy" not in products["widgets"]


def test_with_two_products_the_standards_note_is_kept(compliance: Store) -> None:
    [single] = enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["products"]
    assert single["note"]  # the caveat of the clinker row of the energy-limit table
    compliance.put_output("GZHTZ-0001", "2024-02", [{"product": "", "output_value": 5_000},
                                                    {"product": "widgets", "quantity": 10, "unit": "t"}])
    products = {p["product"]: p for p in enterprise_compliance(compliance, EVERYONE, "GZHTZ-0001", 2024)["products"]}
    said = json.dumps(products["cement_clinker"], ensure_ascii=False)
    assert "whole energy is attributed to each product" in said
    assert single["note"] in said


def test_compliance_of_an_enterprise_outside_the_scope(compliance: Store) -> None:
    with pytest.raises(NotFound):
        enterprise_compliance(compliance, Scope.only("GZHTZ-0002"), "GZHTZ-0001", 2024)


# -- metrics ----------------------------------------------------------------------------------------------------


def test_six_months_are_scaled_to_a_year(fresh_store: Store, submit) -> None:
    # Jan-Jun 2024: 100 万kWh grid + 25 万kWh PV a month = 122.9 + 30.725 = 153.625 tce; 6 months = 921.75 tce
    # x 12/6 = 1 843.5 tce; CO2 6 x 440.3 = 2 641.8 t x 2 = 5 283.6 t; PV share 25 / 125 = 20 %.
    # 2023: twelve months of 80 万kWh = 12 x 98.32 = 1 179.84 tce → change 1 843.5 / 1 179.84 - 1 = +56.25 %.
    half = months(2024, *range(1, 7))
    submit("GZHTZ-0002", electricity(half, 100) + pv(half, 25) + electricity(months(2023, *range(1, 13)), 80))
    for period in half:
        fresh_store.put_output("GZHTZ-0002", period, [{"product": "cement_clinker", "quantity": 1_000, "unit": "t"}])
    result = enterprise_metrics(fresh_store, EVERYONE, "GZHTZ-0002", 2024)
    metrics = result["metrics"]
    assert metrics["tce"] == pytest.approx(1843.5)
    assert metrics["co2_t"] == pytest.approx(5283.6)
    assert metrics["renewable_electricity_share_pct"] == pytest.approx(20.0)
    assert metrics["tce_change_pct"] == pytest.approx(56.25)
    # clinker: 921.75 tce x 1 000 / 6 000 t = 153.625 kgce/t; 2 641.8 t / 6 000 t = 0.4403 tCO2/t
    assert metrics["unit_energy_kgce_per_t_clinker"] == pytest.approx(153.625)
    assert metrics["tco2e_per_t_clinker"] == pytest.approx(0.4403)
    assert result["coverage"]["estimated"] == months(2024, *range(7, 13))
    assert result["notes"] == [
        "6 month(s) estimated at the mean of the reported ones: 2024-07, 2024-08, 2024-09, 2024-10, 2024-11, 2024-12",
        "tco2e_per_t_clinker counts energy CO2 only (process emissions are not reported)",
    ]


def test_fewer_than_six_months_give_no_annual_metric(fresh_store: Store, submit) -> None:
    submit("GZHTZ-0002", electricity(months(2024, *range(1, 6)), 100))
    result = enterprise_metrics(fresh_store, EVERYONE, "GZHTZ-0002", 2024)
    assert result["metrics"] == {}
    assert result["notes"] == ["only 5 of 12 months reported: annual metrics are not computed"]
    assert result["coverage"]["missing"] == months(2024, *range(6, 13))


def test_a_full_year_needs_no_estimate_and_direct_co2_per_kwh_of_a_generator(fresh_store: Store, submit) -> None:
    # GZHTZ-0003 burns 10 t diesel a month and generates 10 万kWh: 12 x 10 x 3.0959097 = 371.509 t for
    # 1 200 000 kWh → 309.59 gCO2/kWh. Without grid electricity there is no renewable share.
    year = months(2024, *range(1, 13))
    submit("GZHTZ-0003", [{"period": p, "carrier": "柴油", "quantity": 10, "unit": "吨"} for p in year])
    for period in year:
        fresh_store.put_output("GZHTZ-0003", period, [{"product": "electricity", "quantity": 10, "unit": "万千瓦时"}])
    result = enterprise_metrics(fresh_store, EVERYONE, "GZHTZ-0003", 2024)
    assert result["metrics"]["tce"] == pytest.approx(12 * 10 * 1.4571)  # 174.852 tce, not scaled
    assert result["metrics"]["direct_gco2e_per_kwh"] == pytest.approx(10 * DIESEL_CO2 * 1e6 / 100_000)
    assert "renewable_electricity_share_pct" not in result["metrics"]
    assert "tce_change_pct" not in result["metrics"]  # no 2023 to compare with
    assert result["notes"] == []


# -- telemetry --------------------------------------------------------------------------------------------------


def test_a_day_is_complete_from_90_percent_of_its_quarter_hours(fresh_store: Store, record_readings) -> None:
    # 96 quarter-hours a day; 90 % is 86.4: 87 intervals (90.6 %) make a complete day, 86 (89.6 %) do not.
    record_readings("M1", "GZHTZ-0001", "2025-06-01T00:00:00", 87)
    record_readings("M1", "GZHTZ-0001", "2025-06-02T00:00:00", 86)
    report = enterprise_telemetry(fresh_store, EVERYONE, "GZHTZ-0001")
    [meter] = report["meters"]
    assert (meter["meter_id"], meter["carrier"], meter["unit"], meter["kind"]) == (
        "M1", "electricity", "kWh", "interval")
    assert meter["readings"] == 173 and meter["energy"] == pytest.approx(173.0)  # 1 kWh each
    assert (meter["days"], meter["complete_days"], meter["incomplete_days"]) == (2, 1, 1)
    assert meter["lowest_completeness_pct"] == pytest.approx(86 / 96 * 100)
    assert meter["gaps"] == 1  # the night between the two days
    assert [(d["day"], d["amount"]) for d in meter["daily"]] == [("2025-06-01", 87.0), ("2025-06-02", 86.0)]
    assert [d["completeness_pct"] for d in meter["daily"]] == [pytest.approx(90.625), pytest.approx(89.5833, 1e-4)]


def test_telemetry_of_an_enterprise_without_meters_or_outside_the_scope(fresh_store: Store, record_readings) -> None:
    assert enterprise_telemetry(fresh_store, EVERYONE, "GZHTZ-0002") == {"enterprise_id": "GZHTZ-0002", "meters": []}
    record_readings("M1", "GZHTZ-0001", "2025-06-01T00:00:00", 4)
    with pytest.raises(NotFound):
        enterprise_telemetry(fresh_store, Scope.only("GZHTZ-0002"), "GZHTZ-0001")
