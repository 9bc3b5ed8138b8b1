"""Carbon-peak status on constructed series, Sen's slope, the projected peak year, CO2 intensity."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from carbon.indicators._common import IndicatorInputError
from carbon.indicators.peak import PEAK_STATUSES, co2_intensity, peak_status


def series(values: list[float], start: int = 2015) -> pd.Series:
    return pd.Series(values, index=range(start, start + len(values)), dtype="float64")


def growing(start_value: float, growth_pct: list[float], start_year: int) -> pd.Series:
    """A series growing by the given annual rates [%]."""
    values = [start_value]
    for rate in growth_pct:
        values.append(values[-1] * (1 + rate / 100))
    return series(values, start_year)


@pytest.mark.parametrize(
    ("values", "status", "peak_year", "below"),
    [
        # rising: every year a new high by more than the 2 % band (and Mann-Kendall tau = 1, p = 0.0167 < 0.05)
        ([100, 105, 110, 116, 121], "pre_peak", 2019, 0),
        # rising by less than the band each year, but strictly for five years: the trend test says rising
        ([100, 101, 102, 103, 104], "pre_peak", 2019, 0),
        # plateau: new highs within the 2 % band; Sen's slope 0.35 t/yr x 4 yr = 1.4 < 2.03 (the band)
        ([100, 101, 101.5, 101.2, 101.6], "plateau", 2019, 0),
        # plateau: the maximum of 2018 is followed by 110 >= 110.5 x 0.98 = 108.29
        ([100, 110, 109, 110.5, 110], "plateau", 2018, 0),
        # provisional: 2016's 110 is followed by 106 and 105 < 107.8, two years below the band (3 needed)
        ([100, 104, 110, 106, 105], "peaked_provisional", 2017, 2),
        # confirmed: three years below 107.8 and falling after the peak (Sen's slope -1 t/yr)
        ([100, 110, 105, 104, 103], "peaked_confirmed", 2016, 3),
        # a year within the band after the peak, then three below: the trailing run counts
        ([100, 110, 109, 105, 104, 103], "peaked_confirmed", 2016, 3),
        # below the band for four years but climbing back (post-peak Sen's slope +0.875 t/yr): stays provisional
        ([100, 110, 90, 95, 97, 97.5], "peaked_provisional", 2016, 4),
        # too short: fewer than MIN_YEARS = 5 (FACTS §5: fewer than about 5-8 points say little)
        ([100, 90], "insufficient_data", 2015, 0),
        ([100, 101, 101.5], "insufficient_data", 2017, 0),
        ([100, 102, 104, 106], "insufficient_data", 2018, 0),
    ],
)
def test_status_of_constructed_series(values: list[float], status: str, peak_year: int, below: int) -> None:
    result = peak_status(series(values))
    assert result.status == status
    assert result.peak_year == peak_year
    assert result.years_below_band == below
    assert result.status in PEAK_STATUSES


def test_empty_series_is_insufficient() -> None:
    result = peak_status(pd.Series([np.nan, np.nan], index=[2020, 2021]))
    assert result.status == "insufficient_data"
    assert result.peak_year is None and result.last_year is None


def test_ties_take_the_latest_year_of_the_maximum() -> None:
    result = peak_status(series([100, 110, 104, 110, 105, 104, 103]))
    assert result.peak_year == 2018  # 110 in 2016 and 2018
    assert result.years_since_peak == 3
    assert result.status == "peaked_confirmed"


def test_band_and_confirm_years_are_parameters() -> None:
    values = series([100, 110, 105, 104, 103])
    assert peak_status(values, band_pct=7.0).status == "plateau"  # 103 >= 110 x 0.93 = 102.3
    assert peak_status(values, confirm_years=4).status == "peaked_provisional"


def test_sen_slope_and_mann_kendall_on_a_known_series() -> None:
    # 2015-2019: 100, 102, 101, 105, 104. Pairwise slopes (j > i): 2, 0.5, 5/3, 1, -1, 1.5, 2/3, 4, 1.5, -1;
    # sorted -1, -1, 0.5, 2/3, 1, 1.5, 1.5, 5/3, 2, 4: median (1 + 1.5) / 2 = 1.25 t/yr.
    # 8 concordant and 2 discordant pairs: S = 6, tau = 6 / 10 = 0.6.
    result = peak_status(series([100, 102, 101, 105, 104]))
    assert result.sen_slope == pytest.approx(1.25)
    assert result.sen_slope_pct == pytest.approx(1.25 / 102.4 * 100)  # mean of the window 102.4 t
    assert result.mann_kendall_tau == pytest.approx(0.6)
    assert result.mann_kendall_p > 0.05
    assert (result.trend_from, result.trend_to) == (2015, 2019)
    assert result.status == "plateau"  # 104 >= 105 x 0.98 = 102.9 and no significant rise


def test_trend_window_is_the_last_years() -> None:
    result = peak_status(series([50, 60, 70, 100, 102, 101, 105, 104]))
    assert (result.trend_from, result.trend_to) == (2018, 2022)
    assert result.sen_slope == pytest.approx(1.25)


def test_constant_window_has_no_kendall_tau() -> None:
    result = peak_status(series([100, 100, 100, 100, 100]))
    assert result.mann_kendall_tau is None and result.mann_kendall_p is None
    assert result.sen_slope == 0
    assert result.status == "plateau"


def test_projected_peak_year_on_slowing_growth() -> None:
    # growth 4.5, 3.5, 2.5, 1.5 % in 2021-2024: fitted g(y) = 1.5 - (y - 2024) [%], zero at 2025.5;
    # 2025 is the last year of positive growth, the projected peak year.
    result = peak_status(growing(100.0, [4.5, 3.5, 2.5, 1.5], 2020), aim_year=2030)
    assert result.status == "pre_peak"
    assert result.projected_peak_year == 2025
    assert "2025.5" in result.projection_note
    assert result.meets_aim is True
    assert peak_status(growing(100.0, [4.5, 3.5, 2.5, 1.5], 2020), aim_year=2024).meets_aim is False


def test_no_projection_when_growth_is_not_slowing() -> None:
    result = peak_status(growing(100.0, [3.0, 3.0, 3.5, 4.0], 2020), aim_year=2030)
    assert result.status == "pre_peak"
    assert result.projected_peak_year is None
    assert "not slowing" in result.projection_note
    assert result.meets_aim is None


def test_no_projection_with_too_few_growth_rates() -> None:
    # 2015, 2017, 2019, 2020, 2021: two growth rates of consecutive years only
    result = peak_status(pd.Series([100.0, 105, 110, 116, 121], index=[2015, 2017, 2019, 2020, 2021]))
    assert result.status == "pre_peak"
    assert result.projected_peak_year is None
    assert "at least 3" in result.projection_note


def test_projection_never_before_the_last_year() -> None:
    # growth 3, 1, 0.2, 0.1 % in 2021-2024: least-squares line g = -0.35 - 0.95 (y - 2024) [%] crosses zero at
    # 2023.6, yet 2024 is still the highest year (and strictly rising for five years): projected 2024 itself
    result = peak_status(growing(100.0, [3.0, 1.0, 0.2, 0.1], 2020))
    assert result.status == "pre_peak"
    assert result.projected_peak_year == 2024
    assert "2023.6" in result.projection_note and "may be the peak" in result.projection_note


def test_aim_for_a_peaked_series_uses_the_peak_year() -> None:
    result = peak_status(series([100, 110, 105, 104, 103]), aim_year=2015)
    assert result.status == "peaked_confirmed"
    assert result.meets_aim is False  # peak 2016 is after 2015
    assert result.aim_year == 2015


def test_rule_text_and_json() -> None:
    result = peak_status(series([100, 110, 105, 104, 103]), band_pct=2.5, confirm_years=3)
    assert "2.5 %" in result.rule and "last 3 or more years" in result.rule
    data = result.to_dict()
    text = json.dumps(data, allow_nan=False, ensure_ascii=False)
    assert json.loads(text)["status"] == "peaked_confirmed"
    assert type(data["peak_year"]) is int and type(data["peak_value"]) is float


@pytest.mark.parametrize(
    "kwargs", [{"band_pct": -1.0}, {"band_pct": 100.0}, {"confirm_years": 0}, {"trend_years": 2}, {"alpha": 1.5}],
)
def test_invalid_parameters(kwargs: dict) -> None:
    with pytest.raises(IndicatorInputError):
        peak_status(series([100, 101, 102]), **kwargs)


def test_negative_emissions_are_refused() -> None:
    with pytest.raises(IndicatorInputError, match="zero or more"):
        peak_status(series([100, -1, 102]))


def test_co2_intensity() -> None:
    # 2 000 000 t CO2 / 4 000 000 万元 = 0.5 t/万元; 2021 has no GDP; 2022 no emissions
    emissions = pd.Series([2_000_000.0, 2_100_000.0], index=[2020, 2021])
    gdp = pd.Series([4_000_000.0, 4_400_000.0], index=[2020, 2022])
    result = co2_intensity(emissions, gdp)
    assert result.index.tolist() == [2020, 2021, 2022]
    assert result[2020] == pytest.approx(0.5)
    assert np.isnan(result[2021]) and np.isnan(result[2022])
    assert result.name == "co2_intensity"


def test_co2_intensity_refuses_zero_gdp() -> None:
    with pytest.raises(IndicatorInputError, match="positive"):
        co2_intensity(pd.Series([1.0], index=[2020]), pd.Series([0.0], index=[2020]))
