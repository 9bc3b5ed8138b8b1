"""The carrier catalogue."""

from __future__ import annotations

import pytest

from carbon.carriers import CARRIERS, carrier_ids, get_carrier
from carbon.errors import UnknownCarrier
from carbon.units import ureg

REQUIRED_IDS = {
    "electricity", "raw_coal", "washed_coal", "coke", "crude_oil", "fuel_oil", "gasoline", "kerosene", "diesel",
    "lpg", "refinery_gas", "natural_gas", "lng", "coke_oven_gas", "blast_furnace_gas", "heat", "steam",
    "electricity_renewable",
}


def test_catalogue_has_the_required_carriers() -> None:
    assert set(carrier_ids()) >= REQUIRED_IDS


@pytest.mark.parametrize(
    ("name", "expected"),
    [("电力", "electricity"), ("外购电力", "electricity"), ("Electricity", "electricity"), ("原煤", "raw_coal"),
     ("柴油", "diesel"), ("天然气", "natural_gas"), ("热力", "heat"), ("蒸汽", "steam"), ("ＬＰＧ", "lpg"),
     ("液化石油气", "lpg"), ("光伏发电", "electricity_renewable"), (" natural gas ", "natural_gas"),
     ("raw_coal", "raw_coal")],
)
def test_names_and_aliases(name: str, expected: str) -> None:
    assert get_carrier(name).id == expected


def test_unknown_carrier_lists_valid_ones() -> None:
    with pytest.raises(UnknownCarrier) as info:
        get_carrier("unobtainium")
    message = str(info.value)
    assert "electricity (电力)" in message and "diesel (柴油)" in message
    assert isinstance(info.value, KeyError)


def test_dimensions_and_kinds() -> None:
    assert get_carrier("electricity").dimensionality == ureg.get_dimensionality("J")
    assert get_carrier("diesel").dimensionality == ureg.get_dimensionality("kg")
    assert get_carrier("natural_gas").dimensionality == ureg.get_dimensionality("m3")
    assert get_carrier("electricity_renewable").is_renewable
    assert {c.kind for c in CARRIERS} == {"fossil", "secondary", "renewable"}
