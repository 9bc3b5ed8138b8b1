"""Energy intensity against the target path: deductions, on-track test, open years, input errors."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.indicators._common import IndicatorInputError
from carbon.indicators.intensity import GdpForecast, intensity_table
from carbon.indicators.targets import IntensityTarget

# The seed region's plan (FACTS §4): 0.15 tce/万元 in 2020 -> 0.13 in 2025.
SEED = IntensityTarget(base_year=2020, base_value=0.15, target_year=2025, target_value=0.13)
NO_DEDUCTIONS = IntensityTarget(2020, 0.15, 2025, 0.13, deduct_feedstock=False)


def _by_year(report) -> pd.DataFrame:
    return report.table.set_index("year")


# ----------------------------------------------------------------------------------------------- deductions

DEDUCTION_STATS = pd.DataFrame(
    {
        "energy_tce": [600_000, 620_000, 630_000, 640_000],
        "gdp_constant": [4_000_000, 4_300_000, 4_500_000, 4_800_000],
        "feedstock_tce": [30_000, 31_000, 40_000, 40_000],
        # 2022 falls below the base year's 20 000: nothing is deducted then, never a negative deduction
        "renewable_tce": [20_000, 25_000, 18_000, 32_000],
    },
    index=[2020, 2021, 2022, 2023],
)


@pytest.mark.parametrize(
    ("feedstock", "renewables", "adjusted"),
    [
        # energy - feedstock
        (True, False, [570_000, 589_000, 590_000, 600_000]),
        # energy - feedstock - max(renewable - 20 000, 0): deductions 0, 5 000, 0, 12 000
        (True, True, [570_000, 584_000, 590_000, 588_000]),
        # energy - max(renewable - 20 000, 0)
        (False, True, [600_000, 615_000, 630_000, 628_000]),
        # nothing deducted
        (False, False, [600_000, 620_000, 630_000, 640_000]),
    ],
)
def test_deductions(feedstock: bool, renewables: bool, adjusted: list[float]) -> None:
    target = IntensityTarget(2020, 0.15, 2025, 0.13, deduct_feedstock=feedstock, deduct_new_renewables=renewables)
    table = _by_year(intensity_table(DEDUCTION_STATS, target)).loc[2020:2023]
    assert table["energy_adjusted_tce"].tolist() == pytest.approx(adjusted)
    # raw figures side by side, untouched
    assert table["energy_tce"].tolist() == [600_000, 620_000, 630_000, 640_000]
    assert table["intensity"].tolist() == pytest.approx([0.15, 620 / 4300, 630 / 4500, 640 / 4800])
    gdp = np.array([4_000_000, 4_300_000, 4_500_000, 4_800_000])
    assert table["intensity_adjusted"].tolist() == pytest.approx(list(np.array(adjusted) / gdp))
    assert (table["energy_adjusted_tce"] <= table["energy_tce"]).all()


def test_feedstock_is_deducted_in_the_base_year_too() -> None:
    report = intensity_table(DEDUCTION_STATS, SEED)
    # base: (600 000 - 30 000) / 4 000 000 = 0.1425; 2021: 589 000 / 4 300 000 = 0.136977 -> -3.876 % vs base
    assert report.base_intensity_adjusted == pytest.approx(0.1425)
    row = _by_year(report).loc[2021]
    assert row["cumulative_change_pct"] == pytest.approx((589_000 / 4_300_000 / 0.1425 - 1) * 100)
    assert row["cumulative_change_pct"] == pytest.approx(-3.8760, abs=1e-4)
    # the raw figure keeps its own base: 620 000 / 4 300 000 / 0.15 - 1 = -3.876 % as well, by construction
    assert row["cumulative_change_pct_raw"] == pytest.approx(-3.8760, abs=1e-4)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.floats(1, 1e7), st.floats(0, 1), st.floats(0, 1), st.floats(1, 1e8)),
                min_size=1, max_size=8))
def test_a_deduction_never_increases_energy(rows: list[tuple[float, float, float, float]]) -> None:
    energy = np.array([row[0] for row in rows])
    stats = pd.DataFrame({
        "energy_tce": energy,
        # feedstock and renewables as shares of energy that together stay within it
        "feedstock_tce": energy * np.array([row[1] for row in rows]) / 2,
        "renewable_tce": energy * np.array([row[2] for row in rows]) / 2,
        "gdp_constant": [row[3] for row in rows],
    }, index=range(2020, 2020 + len(rows)))
    target = IntensityTarget(2020, 0.15, 2025, 0.13, deduct_feedstock=True, deduct_new_renewables=True)
    table = intensity_table(stats, target).table.dropna(subset=["energy_tce"])
    assert (table["energy_adjusted_tce"] <= table["energy_tce"]).all()
    assert (table["renewables_deducted_tce"] >= 0).all()


def test_missing_feedstock_leaves_the_adjusted_figure_open_and_says_so() -> None:
    stats = DEDUCTION_STATS.copy()
    stats.loc[2023, "feedstock_tce"] = np.nan
    report = intensity_table(stats, SEED)
    row = _by_year(report).loc[2023]
    assert np.isnan(row["energy_adjusted_tce"]) and row["energy_tce"] == 640_000
    assert pd.isna(row["on_track"])
    assert any("feedstock_tce missing for [2023]" in note for note in report.notes)
    assert report.latest_year == 2022


def test_no_feedstock_column_deducts_nothing_with_a_note() -> None:
    stats = DEDUCTION_STATS[["energy_tce", "gdp_constant"]]
    report = intensity_table(stats, SEED)
    table = _by_year(report)
    assert table.loc[2021, "energy_adjusted_tce"] == 620_000
    assert any("no feedstock_tce" in note for note in report.notes)


def test_deductions_larger_than_energy_are_refused() -> None:
    stats = DEDUCTION_STATS.copy()
    stats.loc[2021, "feedstock_tce"] = 700_000
    with pytest.raises(IndicatorInputError, match=r"deductions exceed total energy in \[2021\]"):
        intensity_table(stats, SEED)


# ----------------------------------------------------------------------------------------------- on track

ON_TRACK_STATS = pd.DataFrame(
    {"energy_tce": [600_000, 620_000, 650_000, 600_000], "gdp_constant": [4_000_000, 4_300_000, 4_500_000, 4_800_000]},
    index=[2020, 2021, 2022, 2023],
)


def test_on_track_true_and_false() -> None:
    table = _by_year(intensity_table(ON_TRACK_STATS, NO_DEDUCTIONS))
    # cumulative change vs 2020 (intensity / 0.15 - 1) against the path's (0, -2.821, -5.563, -8.228 %):
    # 2021: 0.144186 -> -3.876 % <= -2.821 on track; 2022: 0.144444 -> -3.704 % > -5.563 off track;
    # 2023: 0.125 -> -16.667 % <= -8.228 on track; the base year is on its own path.
    assert table.loc[2020:2023, "cumulative_change_pct"].tolist() == pytest.approx(
        [0.0, -3.875969, -3.703704, -16.666667], abs=1e-6)
    assert table.loc[2020:2023, "target_cumulative_change_pct"].tolist() == pytest.approx(
        [0.0, -2.821449, -5.563292, -8.227776], abs=1e-6)
    assert table.loc[2020:2023, "on_track"].tolist() == [True, True, False, True]
    assert table.loc[2022, "change_pct"] == pytest.approx((650 / 4500) / (620 / 4300) * 100 - 100)
    assert pd.isna(table.loc[2024, "on_track"])  # a plan year without data


def test_on_track_is_relative_to_the_measured_base_year() -> None:
    # Measured base 640 000 / 4 000 000 = 0.16, not the official 0.15. 2021: 0.155 = -3.125 % vs base, ahead
    # of the path's -2.821 %, although 0.155 is above the official path value 0.145768.
    stats = pd.DataFrame({"energy_tce": [640_000, 620_000], "gdp_constant": [4_000_000, 4_000_000]},
                         index=[2020, 2021])
    report = intensity_table(stats, NO_DEDUCTIONS)
    row = _by_year(report).loc[2021]
    assert report.on_track_basis == "relative"
    assert row["intensity_adjusted"] == pytest.approx(0.155)
    assert row["intensity_adjusted"] > row["target_path"]
    assert row["cumulative_change_pct"] == pytest.approx(-3.125)
    assert row["on_track"]


def test_on_track_falls_back_to_the_official_path_without_a_base_year() -> None:
    # No 2020 figures: 2021 at 0.148 > path 0.145768 -> off; 2022 at 0.140 < 0.141655 -> on.
    stats = pd.DataFrame({"energy_tce": [148.0, 140.0], "gdp_constant": [1000.0, 1000.0]}, index=[2021, 2022])
    report = intensity_table(stats, NO_DEDUCTIONS)
    table = _by_year(report)
    assert report.on_track_basis == "official"
    assert table.loc[2021:2022, "on_track"].tolist() == [False, True]
    assert table.loc[2021, "cumulative_change_pct"] == pytest.approx((0.148 / 0.15 - 1) * 100)
    assert any("official base value" in note for note in report.notes)


def test_a_gap_year_shows_no_change_but_keeps_the_cumulative() -> None:
    stats = ON_TRACK_STATS.drop(index=2021)
    table = _by_year(intensity_table(stats, NO_DEDUCTIONS))
    assert np.isnan(table.loc[2022, "change_pct"])
    assert table.loc[2022, "cumulative_change_pct"] == pytest.approx(-3.703704, abs=1e-6)


# ----------------------------------------------------------------------------------------------- open years

# Feedstock 20 000 tce every year; adjusted energy 600 000, 615 000, 630 000 over GDP 4.0, 4.2, 4.4 million 万元:
# adjusted intensity 0.15, 0.1464286, 0.1431818 (changes -2.381 %, -2.217 %).
OPEN_STATS = pd.DataFrame(
    {
        "energy_tce": [620_000, 635_000, 650_000],
        "gdp_constant": [4_000_000, 4_200_000, 4_400_000],
        "feedstock_tce": [20_000, 20_000, 20_000],
    },
    index=[2020, 2021, 2022],
)


def test_open_years_required_rate_and_projection() -> None:
    report = intensity_table(OPEN_STATS, SEED)
    assert report.latest_year == 2022
    assert report.open_years == (2023, 2024, 2025)
    assert report.latest_intensity_adjusted == pytest.approx(630 / 4400)
    # target-equivalent: measured base 0.15 x 0.13 / 0.15 = 0.13
    assert report.target_equivalent_value == pytest.approx(0.13)
    # required: (0.13 / 0.1431818)^(1/3) - 1 = 0.907937^(1/3) - 1 = -3.1681 %/yr
    assert report.required_annual_change_pct == pytest.approx(-3.168091, abs=1e-6)
    # trend: geometric mean of -2.381 % and -2.217 % = (0.1431818 / 0.15)^(1/2) - 1 = -2.2992 %/yr
    assert report.trend_annual_change_pct == pytest.approx(-2.299158, abs=1e-6)
    assert report.trend_years == (2021, 2022)
    # projected 2025: 0.1431818 x 0.9770084^3 = 0.1335312 > 0.13: not on track
    assert report.projected_target_value == pytest.approx(0.1335312, abs=1e-7)
    assert report.projected_on_track is False
    assert report.path_annual_change_pct == pytest.approx(-2.82145, abs=1e-5)


def test_projection_uses_at_most_three_recent_changes() -> None:
    stats = pd.DataFrame({"energy_tce": [160.0, 150.0, 148.0, 146.0, 140.0], "gdp_constant": [1000.0] * 5},
                         index=range(2019, 2024))
    report = intensity_table(stats, NO_DEDUCTIONS)
    assert report.trend_years == (2021, 2022, 2023)
    # (0.140 / 0.150)^(1/3) - 1 = exp(ln(0.93333) / 3) - 1 = exp(-0.0229976) - 1 = -2.2735 %/yr;
    # 2025: 0.140 x (0.140 / 0.150)^(2/3) = 0.140 x 0.955047 = 0.133707
    assert report.trend_annual_change_pct == pytest.approx(-2.273519, abs=1e-6)
    assert report.projected_target_value == pytest.approx(0.133707, abs=1e-6)


@pytest.mark.parametrize(
    ("forecast", "gdp", "budget_adjusted"),
    [
        # GDP 2023 = 4 400 000 x 1.05 = 4 620 000; path 2023 = 0.15 x (0.13 / 0.15)^(3/5) = 0.1376583
        # (measured base equals 0.15, so no rescaling); 0.1376583 x 4 620 000 = 635 981.5 tce
        (GdpForecast(growth_pct=5.0), 4_620_000, 635_981.5),
        # absolute GDP: 0.1376583 x 4 600 000 = 633 228.3 tce
        (GdpForecast(gdp_constant=4_600_000), 4_600_000, 633_228.3),
    ],
)
def test_energy_budget_of_the_next_open_year(forecast: GdpForecast, gdp: float, budget_adjusted: float) -> None:
    report = intensity_table(OPEN_STATS, SEED, gdp_forecast=forecast)
    assert report.budget_year == 2023
    assert report.budget_gdp_constant == pytest.approx(gdp)
    assert report.energy_budget_adjusted_tce == pytest.approx(budget_adjusted, abs=0.1)
    # raw budget adds back 2022's feedstock, assumed unchanged: + 20 000 tce
    assert report.energy_budget_tce == pytest.approx(budget_adjusted + 20_000, abs=0.1)
    assert "20000 tce" in report.budget_assumption


def test_energy_budget_rescales_to_the_measured_base() -> None:
    # measured base 0.16 (640 / 4000): the path for 2021 is 0.16 x 0.9717855 = 0.1554857 on the relative basis;
    # GDP 2021 given in the statistics as 4 100 -> budget 637.49 tce
    stats = pd.DataFrame({"energy_tce": [640.0, np.nan], "gdp_constant": [4000.0, 4100.0]}, index=[2020, 2021])
    report = intensity_table(stats, NO_DEDUCTIONS)
    assert report.budget_year == 2021
    assert report.energy_budget_tce == pytest.approx(0.16 * 0.9717855 * 4100, rel=1e-6)
    assert report.energy_budget_tce == pytest.approx(637.49, abs=0.01)


def test_no_budget_without_gdp() -> None:
    report = intensity_table(OPEN_STATS, SEED)
    assert report.energy_budget_tce is None
    assert any("pass a gdp_forecast" in note for note in report.notes)


def test_no_open_years_once_the_target_year_is_measured() -> None:
    stats = pd.DataFrame({"energy_tce": [150.0, 128.0], "gdp_constant": [1000.0, 1000.0]}, index=[2020, 2025])
    report = intensity_table(stats, NO_DEDUCTIONS)
    assert report.open_years == ()
    assert report.required_annual_change_pct is None and report.projected_target_value is None
    assert _by_year(report).loc[2025, "on_track"]  # 0.128 <= 0.13


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"gdp_constant": 1.0, "growth_pct": 5.0}, {"growth_pct": -100.0}, {"gdp_constant": 0.0}],
)
def test_invalid_gdp_forecast(kwargs: dict) -> None:
    with pytest.raises(IndicatorInputError):
        GdpForecast(**kwargs)


# ----------------------------------------------------------------------------------------------- input errors


@pytest.mark.parametrize(
    ("stats", "message"),
    [
        (pd.DataFrame({"energy_tce": [1.0]}, index=[2020]), "gdp_constant"),
        (pd.DataFrame({"gdp_constant": [1.0]}, index=[2020]), "energy_tce"),
        (pd.DataFrame({"energy_tce": [1.0], "gdp_constant": [0.0]}, index=[2020]), "positive"),
        (pd.DataFrame({"energy_tce": [-1.0], "gdp_constant": [1.0]}, index=[2020]), "zero or more"),
        (pd.DataFrame({"energy_tce": [1.0], "gdp_constant": [1.0]}, index=["twenty"]), "year"),
        (pd.DataFrame({"energy_tce": [1.0, 2.0], "gdp_constant": [1.0, 2.0]}, index=[2020, 2020]), "more than one"),
        (pd.DataFrame({"energy_tce": ["a lot"], "gdp_constant": [1.0]}, index=[2020]), "not a number"),
    ],
)
def test_unusable_statistics(stats: pd.DataFrame, message: str) -> None:
    with pytest.raises(IndicatorInputError, match=message) as caught:
        intensity_table(stats, SEED)
    assert isinstance(caught.value, ValueError)


def test_a_year_column_works_like_the_index() -> None:
    by_column = intensity_table(OPEN_STATS.reset_index(names="year"), SEED)
    by_index = intensity_table(OPEN_STATS, SEED)
    pd.testing.assert_frame_equal(by_column.table, by_index.table)


def test_to_dict_is_json_ready() -> None:
    report = intensity_table(OPEN_STATS, SEED, gdp_forecast=GdpForecast(growth_pct=5.0))
    data = report.to_dict()
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)  # no NaN left
    assert json.loads(text)["years"][0]["year"] == 2020
    years = {row["year"]: row for row in data["years"]}
    assert set(years) == {2020, 2021, 2022, 2023, 2024, 2025}
    assert all(type(year) is int for year in years)
    assert years[2024]["energy_tce"] is None and years[2024]["on_track"] is None
    assert years[2020]["on_track"] is True
    assert years[2021]["on_track"] is False  # -2.381 % vs the path's -2.821 %
    assert data["target"]["annual_change_pct"] == pytest.approx(-2.82145, abs=1e-5)
    assert data["open_years"] == [2023, 2024, 2025]
    assert data["projected_on_track"] is False
    assert "relative test" in data["on_track_rule"]


def test_nothing_measured_yet() -> None:
    stats = pd.DataFrame({"energy_tce": [np.nan], "gdp_constant": [4_000_000.0]}, index=[2021])
    report = intensity_table(stats, SEED)
    assert report.latest_year is None and report.required_annual_change_pct is None
    assert report.on_track_basis == "official"
    assert any("nothing is measured yet" in note for note in report.notes)
    assert json.dumps(report.to_dict(), allow_nan=False)


def test_public_names_are_re_exported() -> None:
    import carbon.indicators as indicators

    assert indicators.intensity_table is intensity_table
    assert all(hasattr(indicators, name) for name in indicators.__all__)


def test_the_store_column_name_is_accepted() -> None:
    stats = OPEN_STATS.rename(columns={"energy_tce": "energy_total_tce"})
    pd.testing.assert_frame_equal(intensity_table(stats, SEED).table, intensity_table(OPEN_STATS, SEED).table)
