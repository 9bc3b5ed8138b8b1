"""Factor tables: every row traceable, the published values reproduced, one lookup with fallback."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

import pytest

from carbon.accounting import CO2_PER_CARBON
from carbon.errors import UnknownFactor
from carbon.factors import FactorSet
from carbon.units import Q_, parse_unit


def test_every_row_is_traceable(factors: FactorSet) -> None:
    for table in factors.tables:
        for row in factors.rows(table):
            assert row["source"], row["id"]
            assert row["status"] in ("verified", "unverified"), row["id"]
            assert row.get("year") or row.get("valid_from"), row["id"]
            parse_unit(row["unit"])
            if row["status"] == "unverified":
                assert row["note"], f"{row['id']}: an unverified factor says why in its note"


def test_expected_tables(factors: FactorSet) -> None:
    assert set(factors.tables) == {
        "coal_equivalent", "electricity_equal_value", "grid_co2", "grid_co2_market", "fuel_co2_cn",
        "fuel_co2_ipcc2006", "secondary_co2", "density",
    }


def test_chinese_fuel_rows_reproduce_their_published_factor(factors: FactorSet) -> None:
    # FACTS §3 / GB/T 32150-2015: factor = NCV x carbon content x oxidation x 44/12, to 4 digits.
    for row in factors.rows("fuel_co2_cn"):
        ncv = Q_(row["ncv"], row["ncv_unit"])
        per_energy = Q_(row["carbon_content"], row["carbon_content_unit"]) * row["oxidation"] * CO2_PER_CARBON
        computed = (ncv * per_energy).to(row["unit"]).magnitude
        assert computed == pytest.approx(row["value"], abs=1.5e-4), row["id"]


def test_ranges_hold_their_default(factors: FactorSet) -> None:
    for row in factors.rows("coal_equivalent"):
        if row.get("value_min") is not None:
            assert row["value_min"] <= row["value"] <= row["value_max"], row["id"]
            assert "range" in row["note"]


def test_lookup_exact_year(factors: FactorSet) -> None:
    factor = factors.lookup("grid_co2", year=2021, region="national", series="average")
    assert factor.value == 0.5568  # MEE/NBS 公告2024年第12号
    assert not factor.fallback


def test_lookup_falls_back_to_newest_earlier_year(factors: FactorSet) -> None:
    factor = factors.lookup("grid_co2", year=2030, region="national", series="average")
    assert (factor.year, factor.requested_year, factor.fallback) == (2023, 2030, True)
    assert "2030" in factor.fallback_note and "2023" in factor.fallback_note


def test_lookup_before_all_years_uses_the_earliest_and_says_so(factors: FactorSet) -> None:
    factor = factors.lookup("grid_co2", year=2015, region="south", series="average")
    assert (factor.year, factor.fallback) == (2021, True)
    assert "earliest" in factor.fallback_note


def test_lookup_without_year_uses_the_newest(factors: FactorSet) -> None:
    assert factors.lookup("grid_co2", region="national", series="average").year == 2023


def test_unknown_key_lists_valid_values(factors: FactorSet) -> None:
    with pytest.raises(UnknownFactor, match="valid carrier values: .*diesel"):
        factors.lookup("fuel_co2_cn", carrier="plutonium")
    with pytest.raises(UnknownFactor, match="tables: .*grid_co2"):
        factors.lookup("no_such_table")


@pytest.mark.parametrize(("name", "expected"), [("南方", "south"), ("南方电网", "south"), ("广东省", "guangdong"),
                                                ("Guangdong", "guangdong"), ("全国", "national")])
def test_region_names(factors: FactorSet, name: str, expected: str) -> None:
    assert factors.region_id(name) == expected


def test_version_is_stable_and_content_addressed(tmp_path: Path, factors: FactorSet) -> None:
    source = resources.files("carbon.factors")
    for entry in source.iterdir():
        if entry.name.endswith(".csv"):
            (tmp_path / entry.name).write_text(entry.read_text(encoding="utf-8"), encoding="utf-8")
    assert FactorSet(tmp_path).version == factors.version
    grid = next(tmp_path.glob("grid_co2-*.csv"))
    newer = tmp_path / "grid_co2-2099-01-01.csv"
    shutil.copy(grid, newer)
    newer.write_text(newer.read_text(encoding="utf-8").replace("0.5366", "0.5365"), encoding="utf-8")
    edited = FactorSet(tmp_path)
    assert edited.files["grid_co2"] == newer.name  # the newer edition wins
    assert edited.version != factors.version
    assert edited.lookup("grid_co2", year=2022, region="national", series="average").value == 0.5365


def test_a_broken_table_fails_at_load(tmp_path: Path) -> None:
    (tmp_path / "density-2020-01-01.csv").write_text(
        "id,carrier,value,unit,source,valid_from,status,note\nd:x,diesel,0.84,kg/L,somewhere,2020-01-01,maybe,\n",
        encoding="utf-8")
    with pytest.raises(ValueError, match="status"):
        FactorSet(tmp_path)
