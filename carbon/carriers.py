"""The catalogue of energy carriers: canonical ids, Chinese names, aliases and what each is measured in.

A report names a carrier in many ways (电力, 外购电力, electricity; 天然气, 管道天然气, NG). :func:`get_carrier`
turns any of them into one :class:`Carrier`, whose ``id`` keys every factor table.

References
----------
.. [1] GB/T 2589-2020 综合能耗计算通则, Annex A (the carriers and their measurement units).
.. [2] 国家统计局 工业企业能源购进、消费与库存 (205-1表), 能源品种目录 (names and units of energy types).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pint

from carbon.errors import UnknownCarrier
from carbon.text import fold
from carbon.units import parse_unit, ureg

__all__ = ["CARRIERS", "Carrier", "carrier_ids", "get_carrier"]

Kind = Literal["fossil", "secondary", "renewable"]


@dataclass(frozen=True)
class Carrier:
    """One energy carrier.

    Attributes
    ----------
    id : str
        Canonical id, the key of every factor table (``"electricity"``, ``"raw_coal"``).
    name_zh, name_en : str
        Names as the statistics forms and English reports write them.
    unit : str
        The unit the factors of this carrier are published per (``"kWh"``, ``"t"``, ``"m3"``, ``"GJ"``).
    kind : {"fossil", "secondary", "renewable"}
        ``fossil``: burned on site, CO2 from its carbon content; ``secondary``: bought-in electricity, heat or
        steam, CO2 through an indirect factor; ``renewable``: generated on site from wind, sun or water.
    aliases : tuple of str
        Other names met in reports; matching ignores case, width and spaces.
    """

    id: str
    name_zh: str
    name_en: str
    unit: str
    kind: Kind
    aliases: tuple[str, ...] = ()

    @property
    def dimensionality(self) -> pint.util.UnitsContainer:
        """Physical dimension of :attr:`unit` (energy, mass or volume)."""
        return ureg.get_dimensionality(parse_unit(self.unit))

    @property
    def is_renewable(self) -> bool:
        return self.kind == "renewable"


CARRIERS: tuple[Carrier, ...] = (
    Carrier("electricity", "电力", "electricity", "kWh", "secondary",
            ("电", "电能", "外购电力", "外购电", "网电", "电网电力", "grid electricity", "power")),
    Carrier("electricity_renewable", "自发自用可再生能源电力", "on-site renewable electricity", "kWh", "renewable",
            ("光伏发电", "分布式光伏", "自发光伏", "光伏", "风电", "自发风电", "可再生能源电力", "自发电(可再生)",
             "solar", "solar pv", "on-site solar", "onsite solar", "renewable electricity", "wind power")),
    Carrier("raw_coal", "原煤", "raw coal", "t", "fossil",
            ("煤", "煤炭", "烟煤", "无烟煤", "褐煤", "coal")),
    Carrier("washed_coal", "洗精煤", "cleaned coal", "t", "fossil", ("精煤", "washed coal")),
    Carrier("middlings", "洗中煤", "middlings", "t", "fossil", ("中煤", "其他洗煤")),
    Carrier("coal_slime", "煤泥", "coal slime", "t", "fossil", ("slime",)),
    Carrier("coke", "焦炭", "coke", "t", "fossil", ("冶金焦", "coke oven coke")),
    Carrier("crude_oil", "原油", "crude oil", "t", "fossil", ("crude",)),
    Carrier("fuel_oil", "燃料油", "fuel oil", "t", "fossil", ("重油", "residual fuel oil", "heavy oil")),
    Carrier("gasoline", "汽油", "gasoline", "t", "fossil", ("车用汽油", "petrol", "motor gasoline")),
    Carrier("kerosene", "煤油", "kerosene", "t", "fossil", ("航空煤油", "一般煤油", "jet fuel", "jet kerosene")),
    Carrier("diesel", "柴油", "diesel", "t", "fossil", ("车用柴油", "diesel oil", "gas oil", "gas/diesel oil")),
    Carrier("lpg", "液化石油气", "liquefied petroleum gas", "t", "fossil", ("液化气", "LPG")),
    Carrier("refinery_gas", "炼厂干气", "refinery gas", "t", "fossil", ("炼厂气", "干气")),
    Carrier("natural_gas", "天然气", "natural gas", "m3", "fossil",
            ("管道天然气", "管道燃气", "NG", "pipeline gas")),
    Carrier("lng", "液化天然气", "liquefied natural gas", "t", "fossil", ("LNG",)),
    Carrier("coke_oven_gas", "焦炉煤气", "coke oven gas", "m3", "fossil", ("焦炉气", "COG")),
    Carrier("blast_furnace_gas", "高炉煤气", "blast furnace gas", "m3", "fossil", ("高炉气", "BFG")),
    Carrier("heat", "热力", "heat", "GJ", "secondary", ("外购热力", "热", "热水", "purchased heat")),
    Carrier("steam", "蒸汽", "steam", "t", "secondary", ("低压蒸汽", "外购蒸汽", "蒸气", "low-pressure steam")),
)


@lru_cache(maxsize=1)
def _index() -> dict[str, Carrier]:
    index: dict[str, Carrier] = {}
    for carrier in CARRIERS:
        for name in (carrier.id, carrier.name_zh, carrier.name_en, *carrier.aliases):
            key = fold(name)
            if key in index and index[key] is not carrier:
                raise RuntimeError(f"carrier alias {name!r} is claimed twice")  # a catalogue bug
            index[key] = carrier
    return index


def carrier_ids() -> list[str]:
    """Canonical ids of all carriers, in catalogue order."""
    return [carrier.id for carrier in CARRIERS]


@lru_cache(maxsize=512)
def get_carrier(name: str) -> Carrier:
    """Look up a carrier by id, Chinese or English name, or alias.

    Parameters
    ----------
    name : str
        ``"电力"``, ``"electricity"``, ``"柴油"``, ``"LPG"`` …

    Returns
    -------
    Carrier

    Raises
    ------
    UnknownCarrier
        If no carrier has that name; the message lists the valid ids with their Chinese names.
    """
    carrier = _index().get(fold(name)) if name is not None else None
    if carrier is None:
        valid = ", ".join(f"{c.id} ({c.name_zh})" for c in CARRIERS)
        raise UnknownCarrier(f"unknown energy carrier {name!r}; valid carriers: {valid}")
    return carrier
