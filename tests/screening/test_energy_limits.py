"""Unit-product energy against the 能耗限额 standards: each value on both sides, units, errors, sources."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from carbon.errors import UnitMismatch
from carbon.screening.energy_limits import compare_unit_energy, grade_unit_energy, list_products
from carbon.screening.metrics import InvalidMetric
from carbon.screening.rules import UnknownProduct
from carbon.units import parse_unit

# Published values (kgce/t; coal power in gce/kWh = kgce/MWh): GB 16780-2021 Table 2 clinker 100/107/117;
# GB 21256-2025 Table 4 converter -30/-28/-12; GB 21258-2024 Table 1 ultra-supercritical 1000 MW 268/276/283.
# Each case gives the unit energy v; energy and output are built so that energy / output = v after conversion.
LIMIT_CASES = [
    ("cement_clinker", [(99.9, "advanced"), (100, "advanced"), (100.1, "entry"), (107, "entry"), (107.1, "limit"),
                        (117, "limit"), (117.1, "over_limit")]),
    ("steel_converter", [(-30.1, "advanced"), (-30, "advanced"), (-29.9, "entry"), (-28, "entry"), (-27.9, "limit"),
                         (-12, "limit"), (-11.9, "over_limit")]),
    ("coal_power_usc_1000mw", [(267.9, "advanced"), (268, "advanced"), (268.1, "entry"), (276, "entry"),
                               (276.1, "limit"), (283, "limit"), (283.1, "over_limit")]),
]
# v kgce/t over 1 万吨 (10 000 t) is 10 v tce; v kgce/MWh over 10 000 万千瓦时 (100 000 MWh) is 100 v tce.
OUTPUT = {"cement_clinker": (1, "万吨", 10), "steel_converter": (1, "万吨", 10),
          "coal_power_usc_1000mw": (10_000, "万千瓦时", 100)}


@pytest.mark.parametrize(("product", "unit_energy", "grade"), [
    pytest.param(product, value, grade, id=f"{product}-{value}")
    for product, cases in LIMIT_CASES for value, grade in cases
])
def test_unit_energy_grades_both_sides_of_each_value(product: str, unit_energy: float, grade: str) -> None:
    output, output_unit, tce_per_unit = OUTPUT[product]
    result = compare_unit_energy(product, unit_energy * tce_per_unit, output, output_unit)
    assert result.value == pytest.approx(unit_energy)
    assert result.grade == grade
    assert result.passed_limit is (grade != "over_limit")
    assert result.edition.startswith("GB ") and result.table and result.source.startswith(result.edition)


def test_unit_energy_converts_energy_and_output_units() -> None:
    # 10 000 tce = 293 070 GJ (1 tce = 29.307 GJ, GB/T 2589-2020); over 100 000 t of clinker: 100 kgce/t.
    result = compare_unit_energy("水泥熟料", "293070 GJ", 10, "万吨")
    assert result.value == pytest.approx(100.0)
    assert (result.grade, result.unit, result.edition, result.table) == ("advanced", "kgce/t", "GB 16780-2021", "表2")
    assert "先进值" in result.grade_label and result.to_dict()["unit_energy"] == pytest.approx(100.0)
    assert json.loads(json.dumps(result.to_dict(), ensure_ascii=False))["grade"] == "advanced"


def test_unit_energy_errors_say_what_to_fix() -> None:
    with pytest.raises(UnknownProduct, match="products: cement_clinker"):
        compare_unit_energy("semiconductor_wafer", 1, 1, "t")
    with pytest.raises(UnitMismatch, match="kgce/MWh"):
        compare_unit_energy("coal_power_usc_1000mw", 100, 1000, "t")
    with pytest.raises(InvalidMetric, match="output"):
        compare_unit_energy("cement_clinker", 100, 0, "t")
    with pytest.raises(InvalidMetric, match="energy_tce"):
        compare_unit_energy("cement_clinker", "lots", 10, "t")


def test_grade_unit_energy_is_vectorised_and_keeps_the_index() -> None:
    values = pd.Series([95.0, 104.0, 110.0, 130.0, float("nan")], index=list("abcde"))
    grades = grade_unit_energy("cement_clinker", values)
    assert grades.tolist() == ["advanced", "entry", "limit", "over_limit", None]
    assert list(grades.index) == list("abcde")


def test_every_energy_limit_is_traceable_and_ordered() -> None:
    products = list_products()
    assert {"cement_clinker", "steel_blast_furnace", "coal_power_usc_1000mw"} <= {p["product"] for p in products}
    for product in products:
        parse_unit(product["unit"])
        present = [product[level] for level in ("advanced", "entry", "limit") if product[level] is not None]
        assert present == sorted(present), product["product"]
        assert product["edition"] and product["source"] and product["status"] in ("verified", "unverified")
        assert product["note"] or product["status"] == "verified"
