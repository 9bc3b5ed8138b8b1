"""`carbon convert` as a user runs it."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from carbon.cli import main


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize(
    ("args", "tce", "co2"),
    [
        (("1", "万千瓦时", "电力", "--year", "2022"), 1.229, 5.366),
        (("10000", "kWh", "electricity", "--year", "2022"), 1.229, 5.366),
        (("1", "吨", "原煤"), 0.7143, 1.9003),
        (("1", "t", "diesel", "--method", "ipcc2006"), 1.4571, 42.652 * 74_100 / 1e6),  # IPCC 2006 EF x GB/T NCV
        (("1", "万立方米", "天然气"), 13.3, 21.622),
    ],
)
def test_convert_json(args: tuple[str, ...], tce: float, co2: float) -> None:
    code, out, _ = run("convert", *args, "--json")
    assert code == 0
    payload = json.loads(out)
    # published factors carry 4-5 significant digits
    assert payload["tce"] == pytest.approx(tce, rel=1e-4)
    assert payload["co2_t"] == pytest.approx(co2, rel=1e-4)
    assert payload["energy_gj"] > 0
    assert payload["factors"] and all(f["source"] for f in payload["factors"])


def test_convert_basis_and_fallback_note() -> None:
    code, out, _ = run("convert", "1", "MWh", "electricity", "--year", "2025", "--basis", "equal", "--json")
    payload = json.loads(out)
    assert code == 0 and payload["basis"] == "equal"
    assert payload["tce"] == pytest.approx(payload["tce_equal"])
    assert payload["fallback"] is True and any("2023" in note for note in payload["notes"])


def test_convert_region() -> None:
    _, out, _ = run("convert", "1", "MWh", "electricity", "--year", "2022", "--region", "南方", "--json")
    assert json.loads(out)["co2_t"] == pytest.approx(0.3869)


def test_convert_table_output() -> None:
    code, out, _ = run("convert", "12", "万千瓦时", "电力", "--year", "2022")
    assert code == 0
    assert "14.7480 tce" in out and "mee-nbs:2022:national:average" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("1", "m3", "电力"), "volume"),
        (("1", "kWh", "unobtainium"), "valid carriers"),
        (("-3", "kWh", "electricity"), "negative"),
        (("1", "kwhh", "electricity"), "did you mean"),
    ],
)
def test_convert_errors(args: tuple[str, ...], message: str) -> None:
    code, _, err = run("convert", *args)
    assert code == 2
    assert message in err


def test_convert_ncv_needs_its_unit() -> None:
    code, _, err = run("convert", "1", "t", "原煤", "--ncv", "21500")
    assert code == 2 and "--ncv-unit" in err


@pytest.mark.parametrize(("args", "message"), [
    (("1e306", "万吨", "原煤"), "not a finite number"),
    (("1", "t", "原煤", "--year", "abc"), "not a year"),
    (("1", "t", "原煤", "--year", "2022.7"), "not a whole year"),
    (("1", "t", "原煤", "--ncv", "0", "--ncv-unit", "kJ/kg"), "positive"),
    (("1", "t", "原煤", "--ncv", "1e9", "--ncv-unit", "kJ/kg"), "0.2x-5x"),
])
def test_convert_edge_cases_exit_2(args: tuple[str, ...], message: str) -> None:
    code, _, err = run("convert", *args)
    assert code == 2 and message in err


def test_convert_labels_name_the_basis_and_the_method() -> None:
    code, out, _ = run("convert", "1", "t", "原煤", "--method", "ipcc2006")
    assert code == 0
    assert "当量值" in out and "等价值" in out and "IPCC 2006" in out
    assert "tce (equal)" not in out and "CO2 (ipcc2006)" not in out
    code, out, _ = run("convert", "1", "万kWh", "电力", "--year", "2024", "--grid-series", "cets")
    assert code == 0 and "fell back to another year: cec-coal-rate" in out
