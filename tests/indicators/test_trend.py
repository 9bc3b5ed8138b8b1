"""The classic Mann-Kendall test against hand computations (Gilbert 1987 §16.4; FACTS §5) and the peak rules
that lean on it: too few years, a steady climb, a bounded projection."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from carbon.indicators.peak import MAX_PROJECTION_YEARS, MIN_YEARS, peak_status
from carbon.indicators.trend import mann_kendall


def normal_p(z: float) -> float:
    """Two-sided p of the standard normal distribution, 2 (1 - Φ(|z|)) = erfc(|z| / √2)."""
    return math.erfc(abs(z) / math.sqrt(2))


def test_untied_series_by_hand() -> None:
    # 100, 102, 101, 105, 104: 8 pairs rise, 2 fall: S = 6; Var(S) = 5·4·15/18 = 16.667;
    # Z = (6 - 1)/√16.667 = 1.2247; p = 0.2207.
    result = mann_kendall(np.array([100, 102, 101, 105, 104]))
    assert result.s == 6
    assert result.var_s == pytest.approx(300 / 18)
    assert result.z == pytest.approx(5 / math.sqrt(300 / 18))
    assert result.p == pytest.approx(normal_p(5 / math.sqrt(300 / 18)))
    assert result.p == pytest.approx(0.2207, abs=1e-4)
    assert result.tau == pytest.approx(0.6)


def test_tied_series_by_hand() -> None:
    # 100, 102, 102, 105, 105, 106, 108, 108 (2017-2024, issue 14): signs per first element +7, +5, +5, +3, +3,
    # +2, 0: S = 25. Three tie groups of 2: Var(S) = [8·7·21 - 3·(2·1·9)]/18 = (1176 - 54)/18 = 62.333;
    # Z = 24/√62.333 = 3.0398; p = 0.0024.
    result = mann_kendall(np.array([100, 102, 102, 105, 105, 106, 108, 108]))
    assert result.s == 25
    assert result.var_s == pytest.approx(1122 / 18)
    assert result.z == pytest.approx(24 / math.sqrt(1122 / 18))
    assert result.p == pytest.approx(0.0024, abs=1e-4)


def test_tied_window_is_not_significant() -> None:
    # Its last five years 105, 105, 106, 108, 108 (the default trend window): S = 8; two tie groups of 2:
    # Var(S) = (5·4·15 - 2·18)/18 = 14.667; Z = 7/√14.667 = 1.8278; p = 0.0676 (issue 14: 0.068, not 0.037).
    result = mann_kendall(np.array([105, 105, 106, 108, 108]))
    assert (result.s, result.var_s) == (8, pytest.approx(264 / 18))
    assert result.z == pytest.approx(1.8278, abs=1e-4)
    assert result.p == pytest.approx(0.0676, abs=1e-4)
    peak = peak_status(pd.Series([100.0, 102, 102, 105, 105, 106, 108, 108], index=range(2017, 2025)))
    assert peak.mann_kendall_p == pytest.approx(0.0676, abs=1e-4) and peak.mann_kendall_s == 8
    assert peak.mann_kendall_z == pytest.approx(1.8278, abs=1e-4)


def test_falling_series_and_continuity_correction() -> None:
    # 5, 4, 3, 2, 1: S = -10, Z = (-10 + 1)/√16.667 = -2.2045, p = 0.0275
    result = mann_kendall(np.array([5, 4, 3, 2, 1]))
    assert result.s == -10
    assert result.z == pytest.approx(-9 / math.sqrt(300 / 18))
    assert result.p == pytest.approx(0.0275, abs=1e-4)


def test_all_tied_has_no_z() -> None:
    result = mann_kendall(np.array([3, 3, 3, 3, 3]))
    assert result.s == 0 and result.var_s == 0 and result.z is None and result.p is None


def test_too_few_years_below_the_documented_minimum() -> None:
    assert MIN_YEARS == 5  # FACTS §5: fewer than about 5-8 points say little
    result = peak_status(pd.Series([100.0, 101, 102], index=[2022, 2023, 2024]))
    assert result.status == "insufficient_data"
    assert "too few years" in result.projection_note and result.mann_kendall_p is None


def test_steady_rise_of_21_pct_is_not_a_plateau() -> None:
    # issue 14: 100, 104, 103, 108, 112, 115, 114, 119, 121 (2016-2024). The window 112 ... 121 has p = 0.086
    # (S = 8), but Sen's slope 2.125 t/yr climbs 8.5 t across it, beyond the 2 % band (2.42 t).
    result = peak_status(pd.Series([100.0, 104, 103, 108, 112, 115, 114, 119, 121], index=range(2016, 2025)))
    assert result.mann_kendall_p > 0.05
    assert result.sen_slope == pytest.approx(2.125)
    assert result.status == "pre_peak"


def test_projection_far_beyond_the_data_is_not_a_forecast() -> None:
    # +1 t/yr from 100: growth 1/100, 1/101, ... slows so little that it reaches zero a century later.
    result = peak_status(pd.Series(np.arange(100.0, 110.0), index=range(2015, 2025)))
    assert result.status == "pre_peak"
    assert result.projected_peak_year is None
    assert f"more than {MAX_PROJECTION_YEARS} years" in result.projection_note
    assert "extrapolation" in result.projection_note


def test_projected_year_and_note_agree() -> None:
    # growth 4.5, 3.5, 2.5, 1.5 % (2021-2024): zero at 2025.5, the last year of positive growth 2025.
    values = [100.0]
    for rate in (4.5, 3.5, 2.5, 1.5):
        values.append(values[-1] * (1 + rate / 100))
    result = peak_status(pd.Series(values, index=range(2020, 2025)))
    assert result.projected_peak_year == 2025
    assert result.projection_note.startswith("projected peak 2025")
