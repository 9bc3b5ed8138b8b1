"""Region reports on a small constructed region: bottom-up years, the official-vs-bottom-up choice of energy and
CO2, report completeness and the year's overview, against hand-computed values.

Factors behind the numbers (``carbon/factors/*.csv``):
- electricity 0.1229 kgce/kWh (GB/T 2589-2020 Table A.2, 当量值): 10 万kWh = 12.29 tce;
- Guangdong grid 0.4403 tCO2/MWh (MEE/NBS 2022; used for 2023 and later by fallback): 10 万kWh = 44.03 t;
- natural gas 1.3300 kgce/m3 (GB/T 2589-2020 Table A.1): 1 万m3 = 13.3 tce; 38.931 MJ/m3 x 15.3 tC/TJ x 0.99 x
  44/12 (GB/T 32150-2015 defaults): 1 万m3 = 21.621888 tCO2;
- on-site PV counts 0.1229 kgce/kWh like any electricity and emits no CO2: 10 万kWh = 12.29 tce, 0 t.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from carbon.reports import bottom_up_years, region_carbon, region_intensity, region_overview, report_completeness
from carbon.store import Store
from tests.reports.conftest import electricity, months

GDP = 100_000.0  # 万元, every year


@pytest.fixture
def region(fresh_store: Store, submit) -> Store:
    """2022 and 2023 complete, 2024 (Jan-Jun) and 2025 (Jan) not.

    GZHTZ-0001: 10 万kWh every month of 2022-2023, Jan-Jun 2024 and Jan 2025.
    GZHTZ-0002: 1 万m3 of natural gas as feedstock (原料用能) in June 2023.
    GZHTZ-0003: 10 万kWh of on-site PV in March 2023.
    Statistics: 2021 official energy and CO2; 2022 GDP only; 2023 and 2024 official energy; 2025 GDP only.
    """
    submit("GZHTZ-0001", electricity(months(2022, *range(1, 13)) + months(2023, *range(1, 13))
                                     + months(2024, *range(1, 7)) + ["2025-01"], 10))
    submit("GZHTZ-0002", [{"period": "2023-06", "carrier": "天然气", "quantity": 1, "unit": "万立方米",
                           "purpose": "原料用能"}])
    submit("GZHTZ-0003", [{"period": "2023-03", "carrier": "光伏", "quantity": 10, "unit": "万千瓦时"}])
    fresh_store.put_statistics("gz-htz", 2021, gdp_constant=GDP, energy_total_tce=14_000, co2_total_t=40_000)
    fresh_store.put_statistics("gz-htz", 2022, gdp_constant=GDP)
    fresh_store.put_statistics("gz-htz", 2023, gdp_constant=GDP, energy_total_tce=1_000)
    fresh_store.put_statistics("gz-htz", 2024, gdp_constant=GDP, energy_total_tce=2_000)
    fresh_store.put_statistics("gz-htz", 2025, gdp_constant=GDP)
    return fresh_store


def by_year(rows: list[dict]) -> dict[int, dict]:
    return {int(row["year"]): row for row in rows}


# -- bottom-up years --------------------------------------------------------------------------------------------


def test_bottom_up_years_sum_the_enterprises_and_say_which_years_are_complete(region: Store) -> None:
    frame = bottom_up_years(region, "gz-htz")
    assert frame.index.tolist() == [2022, 2023, 2024, 2025]
    y2022, y2023, y2024 = frame.loc[2022], frame.loc[2023], frame.loc[2024]
    # 2022: 12 x 12.29 = 147.48 tce; 12 x 44.03 = 528.36 t (the 2022 factor itself)
    assert y2022["bottom_up_tce"] == pytest.approx(147.48)
    assert y2022["bottom_up_co2_t"] == pytest.approx(528.36)
    assert (y2022["months"], y2022["enterprises"], bool(y2022["complete"])) == (12, 1, True)
    # 2023: 147.48 + 13.3 (gas feedstock) + 12.29 (PV) = 173.07 tce; 528.36 + 21.621888 + 0 = 549.981888 t
    assert y2023["bottom_up_tce"] == pytest.approx(173.07)
    assert y2023["bottom_up_co2_t"] == pytest.approx(549.981888)
    assert y2023["bottom_up_feedstock_tce"] == pytest.approx(13.3)
    assert y2023["bottom_up_renewable_tce"] == pytest.approx(12.29)
    assert (y2023["months"], y2023["enterprises"], bool(y2023["complete"])) == (12, 3, True)
    # 2024: six months, 6 x 12.29 = 73.74 tce; no feedstock nor PV (0, not missing)
    assert y2024["bottom_up_tce"] == pytest.approx(73.74)
    assert (y2024["bottom_up_feedstock_tce"], y2024["bottom_up_renewable_tce"]) == (0.0, 0.0)
    assert (y2024["months"], bool(y2024["complete"])) == (6, False)


def test_a_year_is_complete_when_every_month_is_reported_by_someone(fresh_store: Store, submit) -> None:
    # Two enterprises, half a year each: twelve months of the region are covered
    submit("GZHTZ-0001", electricity(months(2021, *range(1, 7)), 1))
    submit("GZHTZ-0002", electricity(months(2021, *range(7, 13)), 2))
    row = bottom_up_years(fresh_store, "gz-htz").loc[2021]
    assert (row["months"], row["enterprises"], bool(row["complete"])) == (12, 2, True)
    assert row["bottom_up_tce"] == pytest.approx(6 * 1.229 + 6 * 2.458)  # 22.122 tce


def test_bottom_up_years_of_an_empty_region(fresh_store: Store) -> None:
    frame = bottom_up_years(fresh_store, "gz-htz")
    assert frame.empty
    assert {"bottom_up_tce", "bottom_up_co2_t", "months", "complete"} <= set(frame.columns)


# -- energy: official or bottom-up ------------------------------------------------------------------------------


def test_the_official_total_wins_and_a_complete_bottom_up_year_stands_in(region: Store) -> None:
    years = by_year(region_intensity(region, "gz-htz")["years"])
    assert (years[2021]["energy_source"], years[2021]["energy_tce"]) == ("official", 14_000)
    assert (years[2022]["energy_source"], years[2022]["energy_tce"]) == ("bottom_up", pytest.approx(147.48))
    assert (years[2023]["energy_source"], years[2023]["energy_tce"]) == ("official", 1_000)
    assert (years[2024]["energy_source"], years[2024]["energy_tce"]) == ("official", 2_000)
    # 2025: no official total and an incomplete bottom-up year: nothing stands in
    assert years[2025]["energy_source"] is None and years[2025]["energy_tce"] is None
    # coverage = bottom-up / official: 173.07 / 1 000 = 17.307 %; 73.74 / 2 000 = 3.687 %
    assert years[2023]["coverage_pct"] == pytest.approx(17.307)
    assert years[2024]["coverage_pct"] == pytest.approx(3.687)
    assert years[2022]["coverage_pct"] is None  # no official total to cover
    assert (years[2023]["months"], years[2023]["enterprises"], years[2023]["bottom_up_tce"]) == (
        12, 3, pytest.approx(173.07))


def test_bottom_up_feedstock_is_deducted_where_the_statistics_give_none(region: Store) -> None:
    # The seed region deducts feedstock (default): 2023 has no official feedstock, the complete bottom-up year
    # gives 13.3 tce → adjusted energy 1 000 - 13.3 = 986.7 tce, intensity 986.7 / 100 000 = 0.009867 tce/万元.
    # 2024 is incomplete: no feedstock figure → no adjusted intensity (deducting nothing would not compare).
    report = region_intensity(region, "gz-htz")
    years = by_year(report["years"])
    assert years[2023]["feedstock_deducted_tce"] == pytest.approx(13.3)
    assert years[2023]["energy_adjusted_tce"] == pytest.approx(986.7)
    assert years[2023]["intensity_adjusted"] == pytest.approx(0.009867)
    assert years[2022]["feedstock_deducted_tce"] == 0.0  # a complete bottom-up year without feedstock
    assert years[2024]["intensity_adjusted"] is None
    assert report["latest_year"] == 2023


# -- CO2: official, estimated or bottom-up ----------------------------------------------------------------------


def test_co2_is_official_estimated_from_the_bottom_up_mix_or_bottom_up(region: Store) -> None:
    report = region_carbon(region, "gz-htz")
    years = by_year(report["years"])
    assert sorted(years) == [2021, 2022, 2023]  # 2024: official energy but an incomplete year: no CO2 figure
    assert (years[2021]["source"], years[2021]["co2_t"]) == ("official", 40_000)
    assert years[2021]["co2_per_tce"] == pytest.approx(40_000 / 14_000)  # 2.857 t/tce
    assert (years[2022]["source"], years[2022]["co2_t"]) == ("bottom_up", pytest.approx(528.36))
    # 2023, "estimated": bottom-up 549.981888 t / 173.07 tce = 3.17780 tCO2/tce x official 1 000 tce = 3 177.80 t
    assert years[2023]["source"] == "estimated"
    assert years[2023]["co2_t"] == pytest.approx(3177.80, abs=0.01)
    assert years[2023]["bottom_up_co2_t"] == pytest.approx(549.981888)
    assert years[2023]["co2_per_tce"] == pytest.approx(3.177800, abs=1e-6)
    assert years[2023]["co2_per_gdp"] == pytest.approx(0.0317780, abs=1e-7)  # 3 177.80 t / 100 000 万元
    assert set(report["sources"]) == {"official", "estimated", "bottom_up"}


def test_co2_by_carrier_per_year(region: Store) -> None:
    carriers = {(row["year"], row["carrier"]): row for row in region_carbon(region, "gz-htz")["by_carrier"]}
    assert carriers[(2023, "natural_gas")]["co2_t"] == pytest.approx(21.621888)
    assert carriers[(2023, "electricity_renewable")] == {"year": 2023, "carrier": "electricity_renewable",
                                                         "co2_t": 0.0, "tce_equivalent": pytest.approx(12.29)}
    assert carriers[(2024, "electricity")]["co2_t"] == pytest.approx(264.18)  # 6 x 44.03


def test_official_co2_wins_over_an_estimate(region: Store) -> None:
    region.put_statistics("gz-htz", 2023, co2_total_t=2_500)
    row = by_year(region_carbon(region, "gz-htz")["years"])[2023]
    assert (row["source"], row["co2_t"]) == ("official", 2_500)
    assert row["co2_per_tce"] == pytest.approx(2.5)  # 2 500 t / 1 000 tce


# -- report completeness ----------------------------------------------------------------------------------------


def reports(*rows: tuple[str, str, str | None]) -> pd.DataFrame:
    return pd.DataFrame([(e, p, 1, s) for e, p, s in rows],
                        columns=["enterprise_id", "period", "rows", "submitted_at"])


COMPLETENESS = reports(
    ("E1", "2023-11", "2023-12-01T08:00:00Z"),
    ("E1", "2024-01", "2024-02-10T08:00:00Z"),  # on time (due 2024-02-15)
    ("E1", "2024-02", "2024-03-16T01:00:00Z"),  # late: a day after 2024-03-15
    ("E1", "2024-03", "2024-04-15T23:00:00Z"),  # on the deadline day: on time
    ("E2", "2024-02", None),  # no submission date: not counted late
    ("E3", "2024-03", "2024-05-01T08:00:00Z"),  # late
)


def test_reports_expected_received_late_and_missing_per_month() -> None:
    # Newest month reported: 2024-03, so Jan-Mar count. Expected from each first report on:
    # Jan: E1 → 1 expected, 1 received; Feb: E1, E2 → 2 and 2, E1's late; Mar: E1, E2, E3 → 3 expected,
    # 2 received (E2's missing), E3's late. Totals 6 expected, 5 received, 2 late, 1 missing.
    result = report_completeness(COMPLETENESS, year=2024)
    assert result["by_month"] == [
        {"period": "2024-01", "expected": 1, "received": 1, "on_time": 1, "late": 0, "missing": 0},
        {"period": "2024-02", "expected": 2, "received": 2, "on_time": 1, "late": 1, "missing": 0},
        {"period": "2024-03", "expected": 3, "received": 2, "on_time": 1, "late": 1, "missing": 1},
    ]
    assert {key: result[key] for key in ("enterprises", "expected", "received", "on_time", "late", "missing")} == {
        "enterprises": 3, "expected": 6, "received": 5, "on_time": 3, "late": 2, "missing": 1}


def test_completeness_of_an_earlier_year_counts_from_the_first_report() -> None:
    # 2023: nothing expected before E1's first report in November; December is missing.
    result = report_completeness(COMPLETENESS, year=2023)
    assert len(result["by_month"]) == 12
    assert sum(m["expected"] for m in result["by_month"][:10]) == 0
    assert result["by_month"][10:] == [
        {"period": "2023-11", "expected": 1, "received": 1, "on_time": 1, "late": 0, "missing": 0},
        {"period": "2023-12", "expected": 1, "received": 0, "on_time": 0, "late": 0, "missing": 1},
    ]
    assert (result["enterprises"], result["expected"], result["missing"]) == (1, 2, 1)


def test_completeness_of_a_year_not_begun_or_without_reports() -> None:
    assert report_completeness(COMPLETENESS, year=2025) == {
        "enterprises": 0, "expected": 0, "received": 0, "on_time": 0, "late": 0, "missing": 0, "by_month": []}
    assert report_completeness(pd.DataFrame(), year=2024)["by_month"] == []


# -- overview ---------------------------------------------------------------------------------------------------


def test_the_overview_takes_the_latest_complete_year(region: Store) -> None:
    overview = region_overview(region, "gz-htz")
    assert overview["year"] == 2023  # 2024 and 2025 have data, but are incomplete
    assert overview["name"] == "广州高新技术产业开发区"
    assert overview["total_tce"] == pytest.approx(173.07)
    top = overview["top_enterprises"]
    assert [row["enterprise_id"] for row in top] == ["GZHTZ-0001", "GZHTZ-0002", "GZHTZ-0003"]
    # shares of 173.07 tce: 147.48 → 85.214 %, 13.3 → 7.685 %, 12.29 → 7.101 %; together 100 %
    assert [row["share_pct"] for row in top] == [pytest.approx(85.2141, abs=1e-4), pytest.approx(7.6848, abs=1e-4),
                                                 pytest.approx(7.1012, abs=1e-4)]
    assert math.fsum(row["share_pct"] for row in top) == pytest.approx(100.0)
    assert (top[0]["name"], top[0]["industry"], top[0]["co2_t"]) == ("示范显示科技", "C3974", pytest.approx(528.36))


def test_the_overview_by_carrier_and_industry_in_chinese_names(region: Store) -> None:
    overview = region_overview(region, "gz-htz", year=2023)
    assert [(row["carrier"], row["carrier_zh"]) for row in overview["by_carrier"]] == [
        ("electricity", "电力"), ("natural_gas", "天然气"), ("electricity_renewable", "自发自用可再生能源电力")]
    assert [row["tce_equivalent"] for row in overview["by_carrier"]] == [
        pytest.approx(147.48), pytest.approx(13.3), pytest.approx(12.29)]
    assert [(row["industry"], row["enterprises"]) for row in overview["by_industry"]] == [
        ("C3974", 1), ("C2720", 1), ("C2614", 1)]
    assert overview["completeness"]["enterprises"] == 3


def test_the_overview_of_a_chosen_year_and_its_top_n(region: Store) -> None:
    overview = region_overview(region, "gz-htz", year=2024, top=1)
    assert overview["year"] == 2024 and overview["total_tce"] == pytest.approx(73.74)
    assert [(row["enterprise_id"], row["share_pct"]) for row in overview["top_enterprises"]] == [
        ("GZHTZ-0001", pytest.approx(100.0))]
    # 2024 runs to the newest month reported (2025-01): all twelve months count, GZHTZ-0001 misses Jul-Dec, and
    # the other two, expected from 2023 on, report nothing
    completeness = overview["completeness"]
    assert (completeness["expected"], completeness["received"], completeness["missing"]) == (36, 6, 30)


def test_top_shares_are_of_the_whole_region(region: Store) -> None:
    # Only the first enterprise is listed, with its share of all three: 85.2 %, not 100 %
    [first] = region_overview(region, "gz-htz", year=2023, top=1)["top_enterprises"]
    assert first["share_pct"] == pytest.approx(85.2141, abs=1e-4)


def test_without_a_complete_year_the_overview_takes_the_latest_year_with_data(fresh_store: Store, submit) -> None:
    submit("GZHTZ-0001", electricity(months(2023, 1, 2) + months(2024, 3), 1))
    overview = region_overview(fresh_store, "gz-htz")
    assert overview["year"] == 2024 and overview["total_tce"] == pytest.approx(1.229)


def test_the_overview_of_a_region_without_data(fresh_store: Store) -> None:
    overview = region_overview(fresh_store, "gz-htz")
    assert overview["year"] is None
    assert overview["top_enterprises"] == overview["by_carrier"] == overview["by_industry"] == []
