"""Additive LMDI-I decomposition: a hand-computed example, exact sums, zero and missing values, chaining."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from carbon.indicators._common import IndicatorInputError
from carbon.indicators.decomposition import EFFECTS, lmdi_decomposition, logarithmic_mean

# Two years by hand (Ang 2005, eq. for the additive LMDI-I):
#   2020: G = 100 万元, E = 50 tce, C = 120 t;   2021: G = 110, E = 52, C = 118
#   L(118, 120) = (118 - 120) / (ln 118 - ln 120) = -2 / -0.0168071 = 118.99720
#   GDP:                L x ln(110 / 100)                   = 118.99720 x  0.0953102 =  11.34164
#   energy intensity:   L x ln((52 / 110) / (50 / 100))     = 118.99720 x -0.0560895 =  -6.67449
#   carbon intensity:   L x ln((118 / 52) / (120 / 50))     = 118.99720 x -0.0560278 =  -6.66716
#   sum                                                                                =  -2.00000 = 118 - 120
HAND = pd.DataFrame({"co2_t": [120.0, 118.0], "energy_tce": [50.0, 52.0], "gdp_constant": [100.0, 110.0]},
                    index=[2020, 2021])


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        (2.0, 1.0, 1 / math.log(2)),  # (2 - 1) / ln 2 = 1.442695
        (1.0, 2.0, 1 / math.log(2)),  # symmetric
        (5.0, 5.0, 5.0),  # L(a, a) = a
        (118.0, 120.0, 118.99720),
        (1.0 + 1e-12, 1.0, 1.0),  # close values stay accurate
        (3.0, 0.0, 0.0),  # the limit at zero
    ],
)
def test_logarithmic_mean(a: float, b: float, expected: float) -> None:
    assert logarithmic_mean(a, b) == pytest.approx(expected, rel=1e-6)


def test_logarithmic_mean_is_vectorised() -> None:
    assert logarithmic_mean(np.array([2.0, 5.0]), np.array([1.0, 5.0])) == pytest.approx([1.442695, 5.0], rel=1e-6)


def test_hand_computed_two_year_example() -> None:
    result = lmdi_decomposition(HAND)
    assert len(result) == 1
    row = result.iloc[0]
    assert (row["year"], row["from_year"], row["status"]) == (2021, 2020, "ok")
    assert row["delta_co2"] == -2.0
    assert row["gdp_effect"] == pytest.approx(11.34164, abs=1e-5)
    assert row["energy_intensity_effect"] == pytest.approx(-6.67449, abs=1e-5)
    assert row["carbon_intensity_effect"] == pytest.approx(-6.66716, abs=1e-5)
    assert row[list(EFFECTS)].sum() == pytest.approx(-2.0, abs=1e-12)


def test_columns() -> None:
    assert lmdi_decomposition(HAND).columns.tolist() == [
        "year", "from_year", "delta_co2", "gdp_effect", "energy_intensity_effect", "carbon_intensity_effect",
        "status", "reason",
    ]


positive = st.floats(min_value=1e-3, max_value=1e9, allow_nan=False, allow_infinity=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(positive, positive, positive), min_size=2, max_size=8))
def test_effects_sum_exactly_to_the_change(rows: list[tuple[float, float, float]]) -> None:
    frame = pd.DataFrame(rows, columns=["co2_t", "energy_tce", "gdp_constant"], index=range(2010, 2010 + len(rows)))
    result = lmdi_decomposition(frame)
    assert (result["status"] == "ok").all()
    total = result[list(EFFECTS)].sum(axis=1).to_numpy()
    change = np.diff(frame["co2_t"].to_numpy())
    assert np.array_equal(result["delta_co2"].to_numpy(), change)
    # no residual: only floating-point rounding, relative to the size of the emissions
    scale = frame["co2_t"].max()
    assert np.all(np.abs(total - change) <= 1e-12 * scale)


def test_zero_emissions_in_both_years_give_zero_effects() -> None:
    frame = pd.DataFrame({"co2_t": [0.0, 0.0], "energy_tce": [10.0, 12.0], "gdp_constant": [100.0, 110.0]},
                         index=[2020, 2021])
    row = lmdi_decomposition(frame).iloc[0]
    assert row["status"] == "ok"
    assert row[["delta_co2", *EFFECTS]].tolist() == [0.0, 0.0, 0.0, 0.0]


@pytest.mark.parametrize("co2", [[0.0, 30.0], [30.0, 0.0]])
def test_zero_emissions_in_one_year_take_the_analytical_limit(co2: list[float]) -> None:
    # Ang and Liu (2007): L(C, 0) -> 0 sends the activity and energy-intensity terms to zero; the carbon-intensity
    # term (whose factor went from or to zero) takes the whole change.
    frame = pd.DataFrame({"co2_t": co2, "energy_tce": [10.0, 12.0], "gdp_constant": [100.0, 110.0]},
                         index=[2020, 2021])
    row = lmdi_decomposition(frame).iloc[0]
    assert row["status"] == "ok"
    assert row["gdp_effect"] == 0.0 and row["energy_intensity_effect"] == 0.0
    assert row["carbon_intensity_effect"] == co2[1] - co2[0]


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"energy_tce": {2021: 0.0}}, "energy is zero in 2021: E/G or C/E is undefined"),
        ({"gdp_constant": {2020: 0.0}}, "GDP is zero in 2020: E/G or C/E is undefined"),
        ({"co2_t": {2021: np.nan}}, "CO2 missing in 2021"),
        ({"gdp_constant": {2020: np.nan}}, "GDP missing in 2020"),
    ],
)
def test_unusable_pairs_are_skipped_with_a_reason(changes: dict, reason: str) -> None:
    frame = HAND.copy()
    for column, values in changes.items():
        for year, value in values.items():
            frame.loc[year, column] = value
    row = lmdi_decomposition(frame).iloc[0]
    assert row["status"] == "skipped"
    assert row["reason"].startswith(reason)
    assert row[["delta_co2", *EFFECTS]].isna().all()  # the change too: column sums stay consistent


def test_a_missing_year_is_not_bridged() -> None:
    frame = pd.DataFrame({"co2_t": [100.0, 110.0, 115.0], "energy_tce": [50.0, 52.0, 53.0],
                          "gdp_constant": [1000.0, 1100.0, 1200.0]}, index=[2019, 2021, 2022])
    result = lmdi_decomposition(frame).set_index("year")
    assert result.loc[2021, "status"] == "skipped" and result.loc[2021, "reason"] == "no data for 2020"
    assert result.loc[2022, "status"] == "ok"
    # sums over the frame agree even with the skipped pair in it
    assert result["delta_co2"].sum() == pytest.approx(result[list(EFFECTS)].sum().sum(), abs=1e-9)


def test_negative_values_are_refused() -> None:
    frame = HAND.copy()
    frame.loc[2021, "co2_t"] = -5.0
    with pytest.raises(IndicatorInputError, match="no negative value"):
        lmdi_decomposition(frame)


def test_missing_column_is_refused() -> None:
    with pytest.raises(IndicatorInputError, match="energy_tce"):
        lmdi_decomposition(HAND.drop(columns="energy_tce"))


THREE = pd.DataFrame({"co2_t": [120.0, 118.0, 100.0], "energy_tce": [50.0, 52.0, 50.0],
                      "gdp_constant": [100.0, 110.0, 120.0]}, index=[2020, 2021, 2022])


def test_cumulative_is_the_chained_sum() -> None:
    # 2022 vs 2021 by hand: L(100, 118) = 108.75184; GDP 108.75184 x ln(120/110) = 9.46265;
    # energy intensity x ln((50/120)/(52/110)) = -13.72797; carbon intensity x ln((100/50)/(118/52)) = -13.73468.
    yearly = lmdi_decomposition(THREE).set_index("year")
    assert yearly.loc[2022, list(EFFECTS)].tolist() == pytest.approx([9.46265, -13.72797, -13.73468], abs=1e-5)
    chained = lmdi_decomposition(THREE, cumulative=True).set_index("year")
    assert chained.index.tolist() == [2020, 2021, 2022]
    assert (chained["from_year"] == 2020).all()
    assert chained.loc[2020, ["delta_co2", *EFFECTS]].tolist() == [0.0, 0.0, 0.0, 0.0]
    # 2022 vs 2020: 11.34164 + 9.46265 = 20.80429 (GDP), -6.67449 - 13.72797 = -20.40246,
    # -6.66716 - 13.73468 = -20.40184; together -20 = 100 - 120
    assert chained.loc[2022, list(EFFECTS)].tolist() == pytest.approx([20.80429, -20.40246, -20.40184], abs=1e-5)
    assert chained.loc[2022, "delta_co2"] == pytest.approx(-20.0)
    assert chained.loc[2022, list(EFFECTS)].sum() == pytest.approx(-20.0, abs=1e-12)


def test_cumulative_from_a_later_base_year() -> None:
    chained = lmdi_decomposition(THREE, cumulative=True, base_year=2021).set_index("year")
    assert chained.index.tolist() == [2021, 2022]
    assert chained.loc[2022, "delta_co2"] == pytest.approx(-18.0)


def test_cumulative_chain_breaks_at_a_skipped_pair() -> None:
    frame = THREE.copy()
    frame.loc[2021, "energy_tce"] = np.nan
    chained = lmdi_decomposition(frame, cumulative=True).set_index("year")
    assert chained.loc[2021:2022, "status"].tolist() == ["skipped", "skipped"]
    assert chained.loc[2022, "reason"] == "chain broken at 2021: energy missing in 2021"
    assert chained.loc[2021:2022, ["delta_co2", *EFFECTS]].isna().all().all()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"cumulative": True, "base_year": 2019}, "not in the frame"), ({"base_year": 2020}, "cumulative")],
)
def test_base_year_errors(kwargs: dict, message: str) -> None:
    with pytest.raises(IndicatorInputError, match=message):
        lmdi_decomposition(THREE, **kwargs)


def test_year_column_input() -> None:
    by_column = lmdi_decomposition(THREE.reset_index(names="year"))
    pd.testing.assert_frame_equal(by_column, lmdi_decomposition(THREE))


def test_the_store_column_names_are_accepted() -> None:
    renamed = THREE.rename(columns={"co2_t": "co2_total_t", "energy_tce": "energy_total_tce"})
    pd.testing.assert_frame_equal(lmdi_decomposition(renamed), lmdi_decomposition(THREE))
