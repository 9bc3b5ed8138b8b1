"""Conversion to energy, tce and CO2 against published values."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import carbon.accounting
from carbon import FactorFallbackWarning, convert, convert_frame, to_co2, to_tce
from carbon.accounting import OUTPUT_COLUMNS, VALUE_COLUMNS
from carbon.errors import (
    CarbonError,
    InvalidInput,
    InvalidQuantity,
    UnitMismatch,
    UnknownCarrier,
    UnknownFactor,
    UnknownUnit,
)


@pytest.mark.parametrize(
    ("quantity", "unit", "carrier", "expected"),
    [
        # GB/T 2589-2020 Table A.2: electricity 0.1229 kgce/kWh (当量值)
        (10_000, "kWh", "electricity", 1.229),
        (1, "万千瓦时", "电力", 1.229),
        (10, "MWh", "electricity", 1.229),
        (10_000, "度", "电力", 1.229),
        # GB/T 2589-2020 Table A.1: raw coal 0.7143, washed coal 0.9000, coke 0.9714 kgce/kg
        (1, "t", "raw_coal", 0.7143),
        (1, "吨", "原煤", 0.7143),
        (1000, "公斤", "原煤", 0.7143),
        (1, "t", "washed_coal", 0.9000),
        (1, "t", "焦炭", 0.9714),
        # Table A.1: crude and fuel oil 1.4286, gasoline and kerosene 1.4714, diesel 1.4571, LPG 1.7143
        (1, "t", "crude_oil", 1.4286),
        (1, "吨", "燃料油", 1.4286),
        (1, "t", "gasoline", 1.4714),
        (1, "t", "kerosene", 1.4714),
        (1, "吨", "柴油", 1.4571),
        (1, "t", "lpg", 1.7143),
        (1, "t", "refinery_gas", 1.5714),
        # natural gas: 1.3300 kgce/m3 (default of the published 1.1000-1.3300 range)
        (1, "万立方米", "天然气", 13.300),
        (1000, "m3", "natural_gas", 1.3300),
        (1000, "Nm³", "natural_gas", 1.3300),
        (1000, "m3", "blast_furnace_gas", 0.1286),
        # heat 0.03412 kgce/MJ (= 1/29.307)
        (1, "GJ", "heat", 0.03412),
        (1, "百万千焦", "热力", 0.03412),
        (1, "吉焦", "热力", 0.03412),
        # low-pressure steam 0.1286 kgce/kg (GB/T 2589-2008 Annex A)
        (1, "t", "蒸汽", 0.1286),
    ],
)
def test_tce_equivalent_published(quantity: float, unit: str, carrier: str, expected: float) -> None:
    assert to_tce(quantity, unit, carrier).to("tce").magnitude == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(
    ("quantity", "unit", "carrier", "kwargs", "expected"),
    [
        # MEE/NBS 2022 national average 0.5366 tCO2/MWh
        (1, "MWh", "electricity", {"year": 2022}, 0.5366),
        (1000, "kWh", "电力", {"year": 2022}, 0.5366),
        (0.1, "万千瓦时", "电力", {"year": 2022}, 0.5366),
        # MEE/NBS 公告2024年第12号: 2021 national 0.5568, excluding market-traded non-fossil 0.5942, fossil 0.8426
        (1, "MWh", "electricity", {"year": 2021}, 0.5568),
        (1, "MWh", "electricity", {"year": 2021, "grid_series": "excl_market_nonfossil"}, 0.5942),
        (1, "MWh", "electricity", {"year": 2021, "grid_series": "fossil"}, 0.8426),
        (1, "MWh", "electricity", {"year": 2023}, 0.5306),
        # regional grid (南方) and province (广东)
        (1, "MWh", "electricity", {"year": 2022, "region": "南方"}, 0.3869),
        (1, "MWh", "electricity", {"year": 2021, "region": "广东"}, 0.4715),
        (1, "MWh", "electricity", {"year": 2022, "region": "guangdong"}, 0.4403),
        # carbon-market reporting factor, a separate series: 0.5810 (2021), 0.5703 (2022)
        (1, "MWh", "electricity", {"year": 2021, "grid_series": "cets"}, 0.5810),
        (1, "MWh", "electricity", {"year": 2022, "grid_series": "cets"}, 0.5703),
        # Chinese method (FACTS §3, GB/T 32150-2015): t CO2 per t of fuel
        (1, "t", "raw_coal", {}, 1.9003),
        (1, "t", "coke", {}, 2.8604),
        (1, "t", "crude_oil", {}, 3.0202),
        (1, "t", "fuel_oil", {}, 3.1705),
        (1, "t", "gasoline", {}, 2.9251),
        (1, "t", "kerosene", {}, 3.0179),
        (1, "t", "diesel", {}, 3.0959),
        (1, "吨", "柴油", {}, 3.0959),
        (1, "t", "lpg", {}, 3.1013),
        (1, "t", "refinery_gas", {}, 3.0119),
        (1000, "m3", "natural_gas", {}, 2.1622),
        (0.1, "万立方米", "天然气", {}, 2.1622),
        # IPCC 2006 Vol. 2 Ch. 1 §1.4.1.2 and Table 1.4 (FACTS §3): national NCV of GB/T 2589 [GJ/t] x IPCC
        # default EF [kgCO2/TJ]
        (1, "t", "diesel", {"method": "ipcc2006"}, 42.652 * 74_100 / 1e6),  # 3.1605
        (1, "t", "gasoline", {"method": "ipcc2006"}, 43.070 * 69_300 / 1e6),
        (1, "t", "fuel_oil", {"method": "ipcc2006"}, 41.816 * 77_400 / 1e6),
        (1, "t", "kerosene", {"method": "ipcc2006"}, 43.070 * 71_900 / 1e6),
        (1, "t", "lpg", {"method": "ipcc2006"}, 50.179 * 63_100 / 1e6),
        (1, "t", "raw_coal", {"method": "ipcc2006"}, 20.908 * 94_600 / 1e6),  # 1.978
        (1000, "m3", "natural_gas", {"method": "ipcc2006"}, 38.931 * 56_100 / 1e6),
        # purchased heat 0.11 tCO2/GJ; on-site renewables emit nothing
        (1, "GJ", "heat", {}, 0.11),
        (1000, "kWh", "electricity_renewable", {"year": 2022}, 0.0),
    ],
)
def test_co2_published(quantity: float, unit: str, carrier: str, kwargs: dict, expected: float) -> None:
    assert to_co2(quantity, unit, carrier, **kwargs).to("tCO2").magnitude == pytest.approx(expected, abs=6e-5)


def test_ipcc_raw_coal_takes_the_national_energy_content() -> None:
    # FACTS §3: 1 t raw coal = 20.908 GJ (GB/T 2589-2020 Table A.1) x 94 600 kgCO2/TJ (IPCC 2006 Vol. 2 Ch. 1
    # Table 1.4, other bituminous coal) = 1.978 tCO2; 1.9779 / 1.9003 = 4.1 % above the Chinese method (FACTS
    # says 1.1 %, an arithmetic slip: the product itself is what the test pins).
    result = convert(1, "t", "原煤", method="ipcc2006")
    assert result.co2_t == pytest.approx(1.978, abs=5e-4)
    assert result.energy_gj == pytest.approx(20.908)
    assert result.co2_t == pytest.approx(result.energy_gj * 94_600 / 1e6)  # one energy figure, the CO2's own
    assert result.co2_t / convert(1, "t", "原煤").co2_t == pytest.approx(1.0408, abs=1e-3)


@pytest.mark.parametrize(
    ("carrier", "ncv_gj_per_t"),
    [
        ("middlings", 8.363),  # GB/T 2589-2020 Table A.1: 洗中煤 8 363 kJ/kg
        ("coal_slime", 10.454),  # 煤泥 8 363-12 545 kJ/kg, the midpoint as default
    ],
)
def test_ipcc_middlings_and_slime_by_the_same_rule(carrier: str, ncv_gj_per_t: float) -> None:
    # IPCC 2006 has no row for them: the other-bituminous EF 94 600 kgCO2/TJ applies to the national NCV,
    # never to the IPCC default 25.8 GJ/t (which would give 2.44 tCO2/t, 2.3-2.9x too much).
    result = convert(1, "t", carrier, method="ipcc2006")
    assert result.co2_t == pytest.approx(ncv_gj_per_t * 94_600 / 1e6)
    assert result.energy_gj == pytest.approx(ncv_gj_per_t)
    assert result.co2_t < 1.1 * convert(1, "t", carrier).co2_t


def test_ipcc_measured_ncv_wins() -> None:
    # 实测低位发热量 23 000 kJ/kg x 94 600 kgCO2/TJ = 2.1758 tCO2/t
    result = convert(1, "t", "raw_coal", method="ipcc2006", ncv=23_000, ncv_unit="kJ/kg")
    assert result.energy_gj == pytest.approx(23.0)
    assert result.co2_t == pytest.approx(23.0 * 94_600 / 1e6)


def test_energy_content() -> None:
    assert convert(1, "万千瓦时", "电力").energy_gj == pytest.approx(36.0)  # 3.6 MJ/kWh
    assert convert(1, "t", "raw_coal").energy_gj == pytest.approx(20.908)  # GB/T 2589 NCV 20 908 kJ/kg
    assert convert(1, "万立方米", "天然气").energy_gj == pytest.approx(389.31)


def test_equal_value_basis_uses_the_previous_years_coal_rate() -> None:
    # GB/T 2589-2020: 等价值 of electricity = previous year's coal per kWh supplied (2020: 305.5 gce/kWh)
    assert to_tce(10_000, "kWh", "electricity", basis="equal", year=2021).magnitude == pytest.approx(3.055)
    # for primary fuels the two bases coincide
    assert to_tce(1, "t", "diesel", basis="equal").magnitude == to_tce(1, "t", "diesel").magnitude


def test_missing_year_falls_back_and_says_so() -> None:
    with pytest.warns(FactorFallbackWarning, match="2025.*2023"):
        assert to_co2(1, "MWh", "electricity", year=2025).magnitude == pytest.approx(0.5306)
    result = convert(1, "MWh", "electricity", year=2025)
    assert result.fallback and any("2023" in note for note in result.notes)


def test_province_without_the_year_falls_back() -> None:
    result = convert(1, "MWh", "electricity", year=2023, region="广东")
    assert result.co2_t == pytest.approx(0.4403) and result.fallback


def test_tce_does_not_warn_about_co2_factors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        to_tce(1, "MWh", "electricity", year=2030)


def test_measured_ncv_wins() -> None:
    # 1 t of coal at 25 000 kJ/kg measured: 25 GJ / 29.307 GJ/tce
    assert to_tce(1, "t", "raw_coal", ncv=25_000, ncv_unit="kJ/kg").magnitude == pytest.approx(25 / 29.307)
    # CO2 follows the measured energy with the default carbon content: 25 GJ x 26.37 tC/TJ x 0.94 x 44/12
    expected = 25e-3 * 26.37 * 0.94 * 44 / 12
    assert to_co2(1, "t", "raw_coal", ncv=25_000, ncv_unit="kJ/kg").magnitude == pytest.approx(expected)
    # a measured steam enthalpy likewise
    assert convert(2, "t", "steam", ncv=2.8, ncv_unit="GJ/t").energy_gj == pytest.approx(5.6)


def test_volume_of_liquid_fuel_goes_through_density() -> None:
    result = convert(1000, "升", "柴油")
    assert result.tce == pytest.approx(0.84 * 1.4571)
    assert any(f.table == "density" for f in result.factors)


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "message"),
    [
        ((1, "m3", "electricity"), {}, UnitMismatch, "volume.*electricity.*kWh"),
        ((1, "m³", "电力"), {}, UnitMismatch, "volume"),
        ((1, "kWh", "natural_gas"), {}, UnitMismatch, "energy.*natural_gas.*volume"),
        ((1, "kwhh", "electricity"), {}, UnknownUnit, "did you mean"),
        ((1, "kWh", "moonshine"), {}, UnknownCarrier, "valid carriers"),
        ((-5, "kWh", "electricity"), {}, InvalidQuantity, "negative"),
        (("lots", "kWh", "electricity"), {}, InvalidQuantity, "not a number"),
        ((float("nan"), "kWh", "electricity"), {}, InvalidQuantity, "finite"),
        ((1, "MWh", "electricity"), {"region": "atlantis"}, UnknownFactor, "regions: .*south"),
        ((1, "MWh", "electricity"), {"region": "广东", "grid_series": "fossil"}, UnknownFactor, "national"),
        ((1, "kWh", "electricity"), {"ncv": 3600, "ncv_unit": "kJ/kWh"}, UnitMismatch, "fuels and steam"),
        ((1, "t", "raw_coal"), {"ncv": 25, "ncv_unit": "MJ/m3"}, UnitMismatch, "does not fit"),
        ((1, "t", "raw_coal"), {"method": "astrology"}, ValueError, "methods"),
    ],
)
def test_bad_input_gets_a_clear_error(args: tuple, kwargs: dict, error: type, message: str) -> None:
    with pytest.raises(error, match=message):
        convert(*args, **kwargs)


def test_every_result_records_the_factor_version(factors) -> None:
    result = convert(1, "t", "diesel")
    assert result.factor_version == factors.version
    assert {f.id for f in result.factors} >= {"gbt2589:diesel", "cn-fuel:diesel"}


# -- frames ------------------------------------------------------------------------------------------------

SAMPLES = [
    ("电力", "万千瓦时"), ("electricity", "kWh"), ("electricity", "MWh"), ("diesel", "t"), ("柴油", "升"),
    ("天然气", "万立方米"), ("natural_gas", "Nm3"), ("raw_coal", "吨"), ("heat", "GJ"), ("steam", "t"),
    ("steam", "GJ"), ("electricity_renewable", "kWh"), ("lpg", "kg"), ("coke_oven_gas", "m3"),
]

rows = st.tuples(
    st.sampled_from(SAMPLES),
    st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False),
    st.sampled_from([2019, 2020, 2021, 2022, 2023, 2024, 2026]),
    st.sampled_from([None, "south", "广东", "national"]),
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(rows, min_size=1, max_size=40), st.sampled_from(["cn", "ipcc2006"]))
def test_convert_frame_equals_scalar_functions_row_by_row(sample: list, method: str) -> None:
    frame = pd.DataFrame({
        "carrier": [carrier for (carrier, _), *_ in sample],
        "unit": [unit for (_, unit), *_ in sample],
        "quantity": [quantity for _, quantity, *_ in sample],
        "period": [f"{year}-06" for *_, year, _ in sample],
        "region": [region for *_, region in sample],
    })
    out = convert_frame(frame, method=method)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FactorFallbackWarning)
        for i, ((carrier, unit), quantity, year, region) in enumerate(sample):
            one = convert(quantity, unit, carrier, year=year, region=region, method=method)
            assert out["energy_gj"].iat[i] == pytest.approx(one.energy_gj, rel=1e-12, abs=1e-12)
            assert out["tce_equivalent"].iat[i] == pytest.approx(
                to_tce(quantity, unit, carrier, year=year).magnitude, rel=1e-12, abs=1e-12)
            assert out["tce_equal"].iat[i] == pytest.approx(
                to_tce(quantity, unit, carrier, year=year, basis="equal").magnitude, rel=1e-12, abs=1e-12)
            assert out["co2_t"].iat[i] == pytest.approx(
                to_co2(quantity, unit, carrier, year=year, region=region, method=method).magnitude,
                rel=1e-12, abs=1e-12)
            assert out["carrier"].iat[i] == one.carrier
            assert out["factor_fallback"].iat[i] == one.fallback
            assert {out["tce_factor"].iat[i], out["co2_factor"].iat[i]} <= {f.id for f in one.factors}


def test_convert_frame_with_measured_ncv_and_categoricals() -> None:
    frame = pd.DataFrame({
        "carrier": ["原煤", "原煤", "电力"], "unit": ["吨", "吨", "万千瓦时"], "quantity": [2.0, 2.0, 1.0],
        "ncv": [np.nan, 25_000, np.nan], "ncv_unit": [None, "kJ/kg", None], "year": [2022, 2022, 2022],
    }).astype({"carrier": "category", "unit": "category"})
    out = convert_frame(frame)
    assert out["tce_equivalent"].tolist() == pytest.approx([2 * 0.7143, 2 * 25 / 29.307, 1.229])
    assert out["co2_t"].iat[2] == pytest.approx(5.366)
    assert out["factor_version"].nunique() == 1
    assert list(frame.columns) == ["carrier", "unit", "quantity", "ncv", "ncv_unit", "year"]  # input untouched


def test_convert_frame_names_the_bad_rows() -> None:
    frame = pd.DataFrame({"carrier": ["电力", "电力", "天然气"], "unit": ["kWh", "m3", "m3"],
                          "quantity": [1.0, 2.0, 3.0]}, index=[10, 11, 12])
    with pytest.raises(UnitMismatch, match=r"row 11 \(电力, m3\)"):
        convert_frame(frame)
    frame.loc[12, "quantity"] = -1
    with pytest.raises(InvalidQuantity, match="row 12"):
        convert_frame(frame)


def test_convert_frame_needs_its_columns() -> None:
    with pytest.raises(KeyError, match="unit"):
        convert_frame(pd.DataFrame({"carrier": ["电力"], "quantity": [1]}))


def test_convert_frame_empty() -> None:
    out = convert_frame(pd.DataFrame({"carrier": [], "unit": [], "quantity": []}))
    assert len(out) == 0 and "co2_t" in out


def test_convert_frame_adds_exactly_the_output_columns() -> None:
    frame = pd.DataFrame({"carrier": ["电力"], "unit": ["kWh"], "quantity": [10_000.0], "year": [2022]})
    out = convert_frame(frame)
    assert list(out.columns) == [*frame.columns, *OUTPUT_COLUMNS]
    assert OUTPUT_COLUMNS[: len(VALUE_COLUMNS)] == VALUE_COLUMNS
    one = convert(10_000.0, "kWh", "电力", year=2022)
    assert [out[name].iat[0] for name in VALUE_COLUMNS] == pytest.approx([getattr(one, name) for name in VALUE_COLUMNS])


def test_the_package_keeps_every_public_name() -> None:
    # Callers import these from carbon.accounting; splitting it into modules keeps each one where it was.
    names = {"BASES", "CO2_PER_CARBON", "GRID_SERIES", "METHODS", "OUTPUT_COLUMNS", "Coefficients", "Conversion",
             "FactorFallbackWarning", "coefficients", "convert", "convert_frame", "to_co2", "to_tce"}
    assert names <= set(carbon.accounting.__all__)
    assert all(hasattr(carbon.accounting, name) for name in carbon.accounting.__all__)


# -- edge cases of the converter (issue 14) ---------------------------------------------------------------------


def test_a_result_that_overflows_is_an_error() -> None:
    with pytest.raises(InvalidQuantity, match="not a finite number"):
        convert(1e306, "万吨", "原煤")
    with pytest.raises(InvalidQuantity, match="not a finite number"):
        convert_frame(pd.DataFrame({"quantity": [1.0, 1e306], "unit": ["万吨"] * 2, "carrier": ["原煤"] * 2}))


@pytest.mark.parametrize(("year", "message"), [
    ("abc", "not a year"), (2022.7, "not a whole year"), ("2022.7", "not a whole year"), (True, "not a year"),
    (1850, "outside"),
])
def test_a_year_that_is_not_one_is_refused(year: object, message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        convert(1, "MWh", "electricity", year=year)
    assert isinstance(caught.value, CarbonError)


def test_a_whole_year_in_another_type_is_accepted() -> None:
    assert convert(1, "MWh", "electricity", year="2022").co2_t == pytest.approx(0.5366)
    assert convert(1, "MWh", "electricity", year=2022.0).co2_t == pytest.approx(0.5366)


def test_a_measured_ncv_of_zero_is_refused_by_both_converters() -> None:
    with pytest.raises(InvalidQuantity, match="positive"):
        convert(1, "t", "raw_coal", ncv=0, ncv_unit="kJ/kg")
    frame = pd.DataFrame({"quantity": [1.0], "unit": ["t"], "carrier": ["raw_coal"], "ncv": [0.0],
                          "ncv_unit": ["kJ/kg"]})
    with pytest.raises(InvalidQuantity, match="positive"):
        convert_frame(frame)


@pytest.mark.parametrize(("ncv", "ncv_unit", "ok"), [
    (1e9, "kJ/kg", False),  # issue 14
    (20_908 * 0.2, "kJ/kg", True), (20_908 * 0.19, "kJ/kg", False),  # GB/T 2589 raw coal 20 908 kJ/kg x 0.2
    (20_908 * 5, "kJ/kg", True), (20_908 * 5.1, "kJ/kg", False),
    (23.0, "MJ/kg", True), (23.0, "kJ/kg", False),  # a unit slip: 23 kJ/kg is 1/1000 of coal
])
def test_a_measured_ncv_is_bounded_around_the_standards(ncv: float, ncv_unit: str, ok: bool) -> None:
    frame = pd.DataFrame({"quantity": [1.0], "unit": ["t"], "carrier": ["raw_coal"], "ncv": [ncv],
                          "ncv_unit": [ncv_unit]})
    if ok:
        assert convert(1, "t", "raw_coal", ncv=ncv, ncv_unit=ncv_unit).energy_gj > 0
        assert convert_frame(frame)["energy_gj"].iloc[0] > 0
    else:
        with pytest.raises(InvalidQuantity, match="0.2x-5x"):
            convert(1, "t", "raw_coal", ncv=ncv, ncv_unit=ncv_unit)
        with pytest.raises(InvalidQuantity, match="0.2x-5x"):
            convert_frame(frame)


@pytest.mark.parametrize("unit", ["万kWh", "万 kWh", "万kwh", "万度", "万千瓦时"])
def test_ten_thousand_kwh_in_every_spelling(unit: str) -> None:
    assert convert(1, unit, "电力").tce == pytest.approx(1.229)  # 10 000 kWh x 0.1229 kgce/kWh


def test_the_answer_says_which_factor_fell_back() -> None:
    # 2024 with the carbon-market factor: the CO2 factor is the 2025-labelled one; only the coal rate of the
    # 等价值 (previous year's, 2023) falls back.
    result = convert(1, "MWh", "electricity", year=2024, grid_series="cets").to_dict()
    assert result["fallback"] is True
    assert result["fallback_factors"] and all(name.startswith("cec-coal-rate") for name in result["fallback_factors"])
    assert result["method_name"].startswith("中国核算方法")


@pytest.mark.parametrize("kwargs", [{"basis": "both"}, {"method": "ipcc1996"}, {"grid_series": "eu"}])
def test_unknown_options_are_carbon_errors(kwargs: dict) -> None:
    with pytest.raises(InvalidInput):
        convert(1, "MWh", "electricity", **kwargs)
