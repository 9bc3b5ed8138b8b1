"""Intensity targets and their arithmetic: annual changes, compounding, the target path, invalid targets."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from carbon.errors import CarbonError
from carbon.indicators._common import IndicatorInputError
from carbon.indicators.targets import IntensityTarget, annual_change, change_from_growth, compound_change, target_path

# The seed region's plan (FACTS §4): 0.15 tce/万元 in 2020 -> 0.13 in 2025.
SEED = IntensityTarget(base_year=2020, base_value=0.15, target_year=2025, target_value=0.13)


# ----------------------------------------------------------------------------------------------- rates


@pytest.mark.parametrize(
    ("energy_growth", "gdp_growth", "expected"),
    [
        (3.0, 6.0, -2.830189),  # 1.03 / 1.06 - 1 = -0.02830189
        (0.0, 5.0, -4.761905),  # 1 / 1.05 - 1 = -0.04761905
        (5.0, 5.0, 0.0),  # energy grows as fast as GDP: intensity unchanged
        (4.0, 2.0, 1.960784),  # 1.04 / 1.02 - 1 = +0.01960784
        (-2.0, 0.0, -2.0),  # flat GDP: intensity follows energy
    ],
)
def test_change_from_growth(energy_growth: float, gdp_growth: float, expected: float) -> None:
    assert change_from_growth(energy_growth, gdp_growth) == pytest.approx(expected, abs=1e-6)


def test_change_from_growth_is_the_annual_change_of_the_ratio() -> None:
    # energy 100 -> 103, GDP 1000 -> 1060: intensity 0.1 -> 0.0971698, r = -2.830 %, as from the growth rates
    intensity = pd.Series([100 / 1000, 103 / 1060], index=[2021, 2022])
    assert annual_change(intensity)[2022] == pytest.approx(change_from_growth(3.0, 6.0), rel=1e-12)
    growth = change_from_growth(pd.Series([3.0, 0.0]), pd.Series([6.0, 5.0]))
    assert isinstance(growth, pd.Series)
    assert growth.tolist() == pytest.approx([-2.830189, -4.761905], abs=1e-6)


def test_change_from_growth_rejects_vanishing_gdp() -> None:
    with pytest.raises(IndicatorInputError, match="above -100"):
        change_from_growth(3.0, -100.0)


def test_five_annual_changes_compound_to_the_end_to_start_ratio() -> None:
    intensity = pd.Series([0.150, 0.146, 0.141, 0.139, 0.133, 0.130], index=range(2020, 2026))
    changes = annual_change(intensity)
    assert np.isnan(changes[2020])
    # Π(1 + r_y) - 1 = 0.130 / 0.150 - 1 = -13.333 %
    assert compound_change(changes.dropna()) == pytest.approx((0.130 / 0.150 - 1) * 100, rel=1e-12)
    assert compound_change(changes.dropna()) == pytest.approx(-13.3333, abs=1e-4)
    # and five years at the plan's constant rate reach exactly the target ratio
    assert compound_change([SEED.annual_change_pct] * 5) == pytest.approx(-13.3333, abs=1e-4)


def test_compound_change_refuses_a_gap() -> None:
    with pytest.raises(IndicatorInputError, match="missing"):
        compound_change([-2.0, float("nan"), -3.0])


def test_annual_change_does_not_bridge_a_missing_year() -> None:
    intensity = pd.Series([0.15, 0.14, 0.13], index=[2020, 2021, 2023])
    changes = annual_change(intensity)
    assert changes[2021] == pytest.approx((0.14 / 0.15 - 1) * 100)
    assert np.isnan(changes[2023])  # 2022 absent: no change, not a two-year change
    assert changes.index.tolist() == [2020, 2021, 2023]


def test_required_annual_rate_of_the_seed_plan() -> None:
    # (0.13 / 0.15)^(1/5) - 1 = 0.9717855 - 1 = -0.0282145, i.e. -2.82 %/yr (FACTS §4)
    assert SEED.annual_change_pct == pytest.approx(-2.82145, abs=1e-5)
    assert round(SEED.annual_change_pct, 2) == -2.82
    assert SEED.total_change_pct == pytest.approx(-13.3333, abs=1e-4)  # 0.13 / 0.15 - 1


def test_target_path_values() -> None:
    # 0.15 x 0.9717855^k for k = 0 … 5
    path = target_path(SEED, range(2019, 2027))
    expected = [0.15, 0.145768, 0.141655, 0.137658, 0.133774, 0.13]
    assert path.loc[2020:2025].tolist() == pytest.approx(expected, abs=5e-7)
    assert path[2025] == pytest.approx(0.13, rel=1e-12)
    assert np.isnan(path[2019]) and np.isnan(path[2026])  # outside the plan period
    # extrapolated one year on: 0.13 x 0.9717855 = 0.126332
    assert target_path(SEED, [2026], extrapolate=True)[2026] == pytest.approx(0.126332, abs=5e-7)


# ----------------------------------------------------------------------------------------------- targets


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"base_year": 2025, "base_value": 0.15, "target_year": 2025, "target_value": 0.13}, "after the base year"),
        ({"base_year": 2026, "base_value": 0.15, "target_year": 2025, "target_value": 0.13}, "after the base year"),
        ({"base_year": 2020, "base_value": 0.0, "target_year": 2025, "target_value": 0.13}, "base_value"),
        ({"base_year": 2020, "base_value": 0.15, "target_year": 2025, "target_value": -0.13}, "target_value"),
        ({"base_year": 2020, "base_value": float("nan"), "target_year": 2025, "target_value": 0.13}, "base_value"),
        ({"base_year": 2020.5, "base_value": 0.15, "target_year": 2025, "target_value": 0.13}, "base_year"),
    ],
)
def test_invalid_targets(kwargs: dict, message: str) -> None:
    with pytest.raises(IndicatorInputError, match=message) as caught:
        IntensityTarget(**kwargs)
    assert isinstance(caught.value, CarbonError) and isinstance(caught.value, ValueError)
