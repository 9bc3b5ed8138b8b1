"""Plans: constant-rate paths, the change still required, and the assessment on constructed data.

Hand-computed values: −17 % over 2025–2030 is 0.83^(1/5) − 1 = −3.658 %/yr (FACTS §8); −10 % over five years is
0.9^(1/5) − 1 = −2.085 %/yr, whose cumulative path is −2.085, −4.127, −6.128, −8.085, −10 % for 2021…2025.
"""

from __future__ import annotations

import math

import pandas as pd
import pytest

from carbon.errors import InvalidInput
from carbon.indicators.plans import (
    Indicator,
    annual_rate_pct,
    assess_indicator,
    indicator_path,
    intensity_position,
    required_rate_pct,
)

CO2_15TH = Indicator("co2_intensity", 2025, 2030, change_pct=-17, binding=True, source="15th FYP outline")


def test_minus_17_percent_over_five_years_is_minus_3_66_a_year() -> None:
    assert annual_rate_pct(-17, 5) == pytest.approx(-3.658, abs=1e-3)
    assert CO2_15TH.to_dict()["annual_change_pct"] == pytest.approx(-3.658, abs=1e-3)
    path = indicator_path(CO2_15TH, 1.0, range(2024, 2032))
    assert math.isnan(path[2024]) and math.isnan(path[2031])  # outside the period
    assert path[2025] == pytest.approx(1.0)
    assert path[2026] == pytest.approx(0.96342, abs=1e-5)
    assert path[2030] == pytest.approx(0.83)


def test_required_rate_from_the_latest_value() -> None:
    # 0.95 in 2026 → 0.83 in 2030: (0.83 / 0.95)^(1/4) − 1 = −3.320 %/yr
    assert required_rate_pct(CO2_15TH, 1.0, 2026, 0.95) == pytest.approx(-3.3196, abs=1e-4)
    # on the path, the required rate is the path's rate
    assert required_rate_pct(CO2_15TH, 1.0, 2026, 0.83 ** 0.2) == pytest.approx(-3.658, abs=1e-3)
    assert required_rate_pct(CO2_15TH, 1.0, 2030, 0.8) is None  # nothing left to require


def test_a_target_value_gives_the_same_path_as_its_change() -> None:
    by_value = Indicator("energy_intensity", 2020, 2025, target_value=0.13, base_value=0.15)
    assert by_value.total_change_pct() == pytest.approx(-13.333, abs=1e-3)
    assert by_value.to_dict()["annual_change_pct"] == pytest.approx(-2.82, abs=1e-2)  # FACTS §4


def test_assessment_marks_achieved_and_missed_years() -> None:
    indicator = Indicator("co2_intensity", 2020, 2025, change_pct=-10)
    values = pd.Series({2020: 1.0, 2021: 0.97, 2022: 0.97, 2024: 0.91, 2025: 0.92})
    report = assess_indicator(indicator, values)
    years = {row["year"]: row for row in report["years"]}
    assert years[2021]["path_cumulative_change_pct"] == pytest.approx(-2.085, abs=1e-3)
    assert years[2021]["achieved"] is True       # −3 % ≤ −2.085 %
    assert years[2022]["achieved"] is False      # −3 % > −4.127 %
    assert years[2023]["status"] == "no data" and years[2023]["achieved"] is None
    assert years[2024]["achieved"] is True       # −9 % ≤ −8.085 %
    assert years[2025]["achieved"] is False      # −8 % > −10 %
    result = report["result"]
    assert result["final"] and result["achieved"] is False
    assert result["cumulative_change_pct"] == pytest.approx(-8.0)
    assert result["progress_pct"] == pytest.approx(80.0)
    assert "achieved 80 % of the planned reduction" in result["summary"] and "missed" in result["summary"]


def test_assessment_before_the_end_gives_the_required_rate_and_marks_projections() -> None:
    indicator = Indicator("energy_total", 2020, 2025, target_value=110.0, base_value=100.0)
    values = pd.Series({2020: 100.0, 2021: 103.0, 2022: 104.0})
    report = assess_indicator(indicator, values, pd.Series({2022: True}))
    result = report["result"]
    assert result["year"] == 2022 and result["projected"] and not result["final"] and result["achieved"] is None
    assert result["progress_pct"] == pytest.approx(40.0)  # +4 % of a planned +10 %
    assert result["required_annual_change_pct"] == pytest.approx(((110 / 104) ** (1 / 3) - 1) * 100)
    assert {row["year"]: row["status"] for row in report["years"]}[2022] == "projected"
    assert "(2022 projected)" in result["summary"]


def test_the_published_base_serves_when_the_base_year_is_not_measured() -> None:
    indicator = Indicator("energy_intensity", 2020, 2025, target_value=0.13, base_value=0.15)
    report = assess_indicator(indicator, pd.Series({2021: 0.145}))
    assert report["base_source"] == "published" and report["base_value"] == 0.15
    assert report["result"]["cumulative_change_pct"] == pytest.approx((0.145 / 0.15 - 1) * 100)
    unknown = assess_indicator(Indicator("co2_total", 2020, 2025, change_pct=-5), pd.Series({2021: 9.0}))
    assert unknown["base_source"] == "unknown" and "nothing can be assessed" in unknown["result"]["summary"]


def test_a_share_rises_on_a_straight_line() -> None:
    indicator = Indicator("non_fossil_share", 2020, 2025, target_value=25.0, base_value=20.0)
    report = assess_indicator(indicator, pd.Series({2020: 20.0, 2021: 21.5, 2022: 21.5}))
    years = {row["year"]: row for row in report["years"]}
    assert years[2021]["path"] == pytest.approx(21.0) and years[2021]["achieved"] is True
    assert years[2022]["path"] == pytest.approx(22.0) and years[2022]["achieved"] is False
    assert years[2023]["status"] == "no data"


@pytest.mark.parametrize("fields, message", [
    ({"kind": "co2_intensity", "base_year": 2025, "target_year": 2030}, "exactly one"),
    ({"kind": "co2_intensity", "base_year": 2025, "target_year": 2030, "change_pct": -17, "target_value": 0.8},
     "exactly one"),
    ({"kind": "co2_intensity", "base_year": 2030, "target_year": 2025, "change_pct": -17}, "after the base year"),
    ({"kind": "water", "base_year": 2025, "target_year": 2030, "change_pct": -17}, "unknown indicator kind"),
    ({"kind": "co2_total", "base_year": 2025, "target_year": 2030, "change_pct": -100}, "above -100"),
    ({"kind": "co2_total", "base_year": 2025, "target_year": 2030, "change_pct": -1, "cap": 1}, "unknown"),
])
def test_invalid_indicators_are_refused(fields: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        Indicator.from_dict(fields)


def test_position_uses_the_plan_in_force_for_the_latest_year() -> None:
    plans = [("14th-fyp", Indicator("co2_intensity", 2020, 2025, change_pct=-18)), ("15th-fyp", CO2_15TH)]
    values = pd.Series({2024: 1.02, 2025: 1.0, 2026: 0.97})
    position = intensity_position(plans, values)
    assert position["plan"] == "15th-fyp"
    assert position["path_annual_change_pct"] == pytest.approx(-3.658, abs=1e-3)
    rows = {row["year"]: row for row in position["years"]}
    assert rows[2026]["change_pct"] == pytest.approx(-3.0)
    assert rows[2026]["on_track"] is False  # −3 % is short of the path's −3.658 %
    assert rows[2026]["path"] == pytest.approx(0.96342, abs=1e-5)
    assert position["required_annual_change_pct"] == pytest.approx(((0.83 / 0.97) ** 0.25 - 1) * 100)
    assert rows[2024]["path"] is None and rows[2024]["change_pct"] is None  # before the period; no 2023
