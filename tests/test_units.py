"""The one registry: project units and the Chinese spellings users write."""

from __future__ import annotations

import pytest

from carbon.errors import UnknownUnit
from carbon.units import Q_, parse_unit


@pytest.mark.parametrize(
    ("text", "target", "expected"),
    [
        # GB/T 2589-2020: 1 kgce = 29 307 kJ, so 1 tce = 29.307 GJ.
        ("kgce", "kJ", 29307),
        ("tce", "GJ", 29.307),
        ("吨标准煤", "GJ", 29.307),
        ("万吨标准煤", "tce", 1e4),
        ("千瓦时", "kWh", 1),
        ("度", "kWh", 1),
        ("万千瓦时", "kWh", 1e4),
        ("兆瓦时", "kWh", 1e3),
        ("吨", "kg", 1e3),
        ("千克", "kg", 1),
        ("公斤", "kg", 1),
        ("万吨", "t", 1e4),
        ("立方米", "m3", 1),
        ("万立方米", "m3", 1e4),
        ("标准立方米", "m3", 1),
        ("Nm³", "m3", 1),
        ("Nm3", "m3", 1),
        ("m³", "m3", 1),
        ("吉焦", "GJ", 1),
        ("百万千焦", "GJ", 1),
        ("兆焦", "MJ", 1),
        ("升", "m3", 1e-3),
        # 7 000 kcal (international table) = 29 307.6 kJ, the kcal behind the kgce definition
        ("千卡", "kJ", 4.1868),
        ("万元", "元", 1e4),
        ("亿元", "万元", 1e4),
    ],
)
def test_chinese_and_project_units(text: str, target: str, expected: float) -> None:
    assert Q_(1, text).to(target).magnitude == pytest.approx(expected, rel=1e-12)


def test_intensity_carries_tce_per_10k_yuan() -> None:
    intensity = Q_(0.15, "tce") / Q_(1, "万元")
    assert intensity.to("kgce/元").magnitude == pytest.approx(0.015)


@pytest.mark.parametrize("text", ["kwhh", "万千瓦", "tonnes of coal", ""])
def test_unknown_unit_suggests(text: str) -> None:
    with pytest.raises(UnknownUnit) as info:
        parse_unit(text)
    assert "unit" in str(info.value)


def test_misspelt_unit_suggests_the_near_spelling() -> None:
    with pytest.raises(UnknownUnit, match="did you mean.*kWh"):
        parse_unit("kWhh")


def test_unknown_unit_is_also_a_key_error() -> None:
    with pytest.raises(KeyError):
        parse_unit("bogus_unit")
