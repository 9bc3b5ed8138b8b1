"""Multipliers per group of rows: what one unit of a reported quantity amounts to in energy, tce and CO2.

:func:`coefficients` resolves, once per (carrier, unit, year, region, method) group, the multipliers that turn one
unit of the reported quantity into GJ, tce on both bases and tonnes of CO2, and the factor rows they come from.
It is the only place pint and the factor tables are consulted: :mod:`carbon.accounting.scalar` and
:mod:`carbon.accounting.frames` only multiply.

References
----------
.. [1] GB/T 2589-2020 综合能耗计算通则, Annex A: standard-coal coefficients (当量值 and 等价值).
.. [2] GB/T 32150-2015 工业企业温室气体排放核算和报告通则: CO2 = activity x NCV x carbon content x
       oxidation x 44/12.
.. [3] 2006 IPCC Guidelines for National Greenhouse Gas Inventories, Vol. 2 Ch. 1, Tables 1.2 and 1.4.
.. [4] 生态环境部 国家统计局, 电力二氧化碳排放因子 announcements for 2021-2023.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pint

from carbon.carriers import Carrier, get_carrier
from carbon.errors import InvalidInput, UnitMismatch, UnknownFactor, UnknownUnit
from carbon.factors import Factor, FactorSet, default_factors
from carbon.units import Q_, parse_unit, ureg

__all__ = [
    "CO2_PER_CARBON", "FACTOR_COLUMNS", "GRID_SERIES", "METHODS", "METHOD_NAMES", "NCV_BOUNDS", "VALUE_COLUMNS",
    "Coefficients", "GridSeries", "Method", "check_year", "coefficients", "ncv_bounds",
]

Method = Literal["cn", "ipcc2006"]
GridSeries = Literal["average", "excl_market_nonfossil", "fossil", "cets"]

METHODS: tuple[str, ...] = ("cn", "ipcc2006")
# What each method is, for people reading a result.
METHOD_NAMES: dict[str, str] = {
    "cn": "中国核算方法 GB/T 32150-2015 (NCV × carbon content × oxidation × 44/12)",
    "ipcc2006": "IPCC 2006 default EF per TJ on the national NCV",
}
# A measured NCV far from the standard's is a unit slip or a typing error, not a fuel: it must lie within these
# multiples of the table's NCV (the widest published range, slime's 8 363-12 545 kJ/kg, is 0.8x-1.2x its default).
NCV_BOUNDS: tuple[float, float] = (0.2, 5.0)
# Data years the factor tables can speak for.
_YEARS = (1990, 2100)
GRID_SERIES: tuple[str, ...] = ("average", "excl_market_nonfossil", "fossil", "cets")

# The converted values, each one multiplier of Coefficients, one attribute of a Conversion and one column of
# convert_frame's result (and of the stored consumption): energy [GJ], tce on the equivalent and on the equal-value
# basis [tce], CO2 [t].
VALUE_COLUMNS: tuple[str, ...] = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")
# The factors behind them, as attributes of Coefficients (Factor rows) and columns of convert_frame (factor ids).
FACTOR_COLUMNS: tuple[str, ...] = ("tce_factor", "tce_equal_factor", "co2_factor")

# Mass of CO2 per mass of carbon burned: molar masses 44 and 12, as GB/T 32150-2015 (formula 3) and the
# IPCC 2006 Guidelines (Vol. 2, eq. 2.1 notes) write it.
CO2_PER_CARBON = Q_(44 / 12, "tCO2/tC")

_DIMENSIONS = {
    "energy": ureg.get_dimensionality("J"),
    "mass": ureg.get_dimensionality("kg"),
    "volume": ureg.get_dimensionality("m3"),
}
_EXAMPLES = {"energy": "kWh, 万千瓦时, MWh, GJ, 百万千焦", "mass": "t, 吨, kg, 万吨", "volume": "m3, 万立方米, Nm3, L"}


def _dimension_name(unit: pint.Unit) -> str:
    dimensionality = ureg.get_dimensionality(unit)
    for name, dims in _DIMENSIONS.items():
        if dimensionality == dims:
            return name
    return str(dimensionality)


@dataclass(frozen=True)
class Coefficients:
    """What one unit of a reported quantity amounts to, for one group of rows.

    Attributes
    ----------
    carrier : str
        Canonical carrier id.
    unit : str
        The unit of the reported quantity, as given.
    ncv_unit : str or None
        When set, the multipliers apply to quantity x measured NCV (in this unit) instead of to the quantity.
    energy_gj : float
        Energy [GJ] per unit (per unit x NCV when ``ncv_unit`` is set).
    tce_equivalent, tce_equal : float
        Standard coal equivalent [tce] per unit on the 当量值 (equivalent) and 等价值 (equal-value) basis.
    co2_t : float
        CO2 [t] per unit.
    tce_factor, tce_equal_factor, co2_factor : Factor
        The factor rows used; ``bridges`` holds the others (density, NCV of another table).
    """

    carrier: str
    unit: str
    ncv_unit: str | None
    year: int | None
    region: str | None
    method: str
    energy_gj: float
    tce_equivalent: float
    tce_equal: float
    co2_t: float
    tce_factor: Factor
    tce_equal_factor: Factor
    co2_factor: Factor
    bridges: tuple[Factor, ...] = ()

    @property
    def factors(self) -> tuple[Factor, ...]:
        """All factors used, without repeats."""
        seen: dict[str, Factor] = {}
        for factor in (self.tce_factor, self.tce_equal_factor, self.co2_factor, *self.bridges):
            seen.setdefault(factor.id, factor)
        return tuple(seen.values())

    @property
    def fallback(self) -> bool:
        """True when a factor of another year stood in for the requested one."""
        return any(factor.fallback for factor in self.factors)

    @property
    def fallback_factors(self) -> tuple[str, ...]:
        """Ids of the factors of another year that stood in (the coal rate, the grid factor ...)."""
        return tuple(factor.id for factor in self.factors if factor.fallback)

    @property
    def notes(self) -> tuple[str, ...]:
        """Sentences on the fallbacks taken and the unverified factors used."""
        notes = [factor.fallback_note for factor in self.factors if factor.fallback]
        notes += [f"{factor.id} is unverified: {factor.note}" for factor in self.factors
                  if factor.status == "unverified"]
        return tuple(note for note in notes if note)


def _amount(carrier: Carrier, unit: pint.Unit, factors: FactorSet) -> tuple[pint.Quantity, tuple[Factor, ...]]:
    """One reported unit as a quantity the carrier's factors accept, bridging volume to mass by density."""
    given = _dimension_name(unit)
    accepted = {row["per"] for row in factors.rows("coal_equivalent") if row["carrier"] == carrier.id}
    if given in accepted:
        return Q_(1, unit), ()
    if given == "volume" and "mass" in accepted:
        try:
            density = factors.lookup("density", carrier=carrier.id)
        except UnknownFactor:
            pass
        else:
            return (Q_(1, unit) * density.quantity).to("t"), (density,)
    wanted = " or ".join(f"{name} ({_EXAMPLES[name]})" for name in sorted(accepted))
    raise UnitMismatch(f"{unit:~P} is a unit of {given}; {carrier.id} ({carrier.name_zh}) is reported in {wanted}")


def _electricity_equal_value(year: int | None, factors: FactorSet) -> Factor:
    # GB/T 2589-2020: the 等价值 of electricity is the previous year's coal consumption per kWh supplied.
    return factors.lookup("electricity_equal_value", year=None if year is None else year - 1)


def _co2_per_energy(carrier: Carrier, method: str,
                    factors: FactorSet) -> tuple[pint.Quantity, pint.Quantity | None, Factor]:
    """Emission factor per energy [tCO2/GJ] and the energy basis the method prescribes, for a fuel or heat.

    The energy basis is the Chinese guidelines' own NCV for ``"cn"``, and None for ``"ipcc2006"``: the IPCC
    2006 Guidelines (Vol. 2 Ch. 1, §1.4.1.2) prefer the country-specific NCV to their defaults, so the EF per
    TJ applies to the national NCV of GB/T 2589 (or to a measured NCV), the energy figure shown with the result.
    """
    if carrier.kind == "secondary":
        factor = factors.lookup("secondary_co2", carrier=carrier.id)
        return factor.quantity.to("tCO2/GJ"), None, factor
    if method == "cn":
        factor = factors.lookup("fuel_co2_cn", carrier=carrier.id)
        per_energy = Q_(factor.extra["carbon_content"], factor.extra["carbon_content_unit"]) \
            * factor.extra["oxidation"] * CO2_PER_CARBON
        return per_energy.to("tCO2/GJ"), Q_(factor.extra["ncv"], factor.extra["ncv_unit"]), factor
    if method == "ipcc2006":
        factor = factors.lookup("fuel_co2_ipcc2006", carrier=carrier.id)
        return factor.quantity.to("tCO2/GJ"), None, factor  # IPCC 2006 Tier 1 assumes complete oxidation
    raise InvalidInput(f"unknown method {method!r}; methods: {', '.join(METHODS)}")


def _grid_factor(year: int | None, region: str | None, series: str, factors: FactorSet) -> Factor:
    if series == "cets":
        return factors.lookup("grid_co2_market", year=year, region=factors.region_id(region or "national",
                                                                                    "grid_co2_market"))
    if series not in GRID_SERIES:
        raise InvalidInput(f"unknown grid series {series!r}; series: {', '.join(GRID_SERIES)}")
    return factors.lookup("grid_co2", year=year, series=series, region=factors.region_id(region or "national"))


@lru_cache(maxsize=4096)
def _coefficients(carrier_name: str, unit_text: str, ncv_unit_text: str | None, year: int | None,
                  region: str | None, method: str, grid_series: str, factors: FactorSet) -> Coefficients:
    carrier = get_carrier(carrier_name)
    unit = parse_unit(unit_text)
    amount, bridges = _amount(carrier, unit, factors)
    per = _dimension_name(ureg.get_dimensionality(amount.units))
    tce_factor = factors.lookup("coal_equivalent", carrier=carrier.id, basis="equivalent", per=per)

    if carrier.id in ("electricity", "electricity_renewable"):
        tce_equal_factor = _electricity_equal_value(year, factors)
    elif carrier.kind == "fossil":
        tce_equal_factor = tce_factor  # for primary energy the two bases coincide
    else:
        tce_equal_factor = factors.lookup("coal_equivalent", carrier=carrier.id, basis="equal", per=per)

    try:
        if ncv_unit_text is not None:
            if carrier.kind not in ("fossil",) and carrier.id != "steam":
                raise UnitMismatch(f"a measured NCV applies to fuels and steam, not to {carrier.id} "
                                   f"({carrier.name_zh})")
            energy = (amount * Q_(1, parse_unit(ncv_unit_text))).to("GJ")
            tce_equivalent = tce_equal = energy.to("tce")
        else:
            energy = (amount * Q_(tce_factor.extra["ncv"], tce_factor.extra["ncv_unit"])).to("GJ")
            tce_equivalent = (amount * tce_factor.quantity).to("tce")
            tce_equal = (amount * tce_equal_factor.quantity).to("tce")

        if carrier.id == "electricity":
            co2_factor = _grid_factor(year, region, grid_series, factors)
            co2 = (amount * co2_factor.quantity).to("tCO2")
        elif carrier.id == "electricity_renewable":
            co2_factor = factors.lookup("secondary_co2", carrier=carrier.id)
            co2 = (amount * co2_factor.quantity).to("tCO2")
        else:
            per_energy, method_ncv, co2_factor = _co2_per_energy(carrier, method, factors)
            if ncv_unit_text is None and method_ncv is not None and carrier.kind == "fossil":
                # The Chinese guidelines carry their own NCV beside their carbon content.
                co2 = (amount * method_ncv * per_energy).to("tCO2")
            else:
                co2 = (energy * per_energy).to("tCO2")
    except pint.DimensionalityError as error:
        raise UnitMismatch(f"{ncv_unit_text or unit_text} does not fit {carrier.id} ({carrier.name_zh}) "
                           f"reported in {unit_text}: {error}") from error

    return Coefficients(
        carrier=carrier.id, unit=unit_text, ncv_unit=ncv_unit_text, year=year, region=region, method=method,
        energy_gj=float(energy.magnitude), tce_equivalent=float(tce_equivalent.magnitude),
        tce_equal=float(tce_equal.magnitude), co2_t=float(co2.magnitude), tce_factor=tce_factor,
        tce_equal_factor=tce_equal_factor, co2_factor=co2_factor, bridges=bridges,
    )


def check_year(year: object) -> int | None:
    """A data year as int: an integer or its digits, within 1990-2100; None stays None.

    Raises
    ------
    InvalidInput
        For text that is not a year, a fractional year (2022.7) or a year out of range.
    """
    if year is None:
        return None
    value: int | None = None
    if isinstance(year, str) and year.strip().isdigit():
        value = int(year.strip())
    elif not isinstance(year, bool):
        try:
            number = float(year)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            number = math.nan
        if math.isfinite(number) and number == int(number):
            value = int(number)
        elif math.isfinite(number):
            raise InvalidInput(f"year {year!r} is not a whole year")
    if value is None:
        raise InvalidInput(f"year {year!r} is not a year (e.g. 2024)")
    if not _YEARS[0] <= value <= _YEARS[1]:
        raise InvalidInput(f"year {value} is outside {_YEARS[0]}-{_YEARS[1]}")
    return value


def ncv_bounds(carrier: str, unit: str, ncv_unit: str, *, factors: FactorSet | None = None
               ) -> tuple[float, float] | None:
    """Lowest and highest plausible measured NCV [in ``ncv_unit``]: ``NCV_BOUNDS`` times the table's NCV.

    None when the carrier's table row has no NCV (or none in a dimension ``ncv_unit`` converts to).
    """
    factors = factors or default_factors()
    found = get_carrier(carrier)
    amount, _ = _amount(found, parse_unit(unit), factors)
    per = _dimension_name(ureg.get_dimensionality(amount.units))
    row = factors.lookup("coal_equivalent", carrier=found.id, basis="equivalent", per=per)
    if row.extra.get("ncv") is None:
        return None
    try:
        table = Q_(row.extra["ncv"], row.extra["ncv_unit"]).to(parse_unit(ncv_unit)).magnitude
    except pint.DimensionalityError:
        return None
    return NCV_BOUNDS[0] * float(table), NCV_BOUNDS[1] * float(table)


def coefficients(carrier: str, unit: str, *, year: int | None = None, region: str | None = None,
                 method: Method = "cn", grid_series: GridSeries = "average", ncv_unit: str | None = None,
                 factors: FactorSet | None = None) -> Coefficients:
    """Resolve the multipliers for one group of rows: one pint conversion per group.

    Parameters
    ----------
    carrier : str
        Carrier id, Chinese name or alias (``"电力"``, ``"diesel"``).
    unit : str
        Unit of the reported quantity (``"万千瓦时"``, ``"吨"``, ``"万立方米"``, ``"L"``).
    year : int, optional
        Data year; picks the electricity factors (newest earlier year when none is published).
    region : str, optional
        Grid region or province for electricity CO2 (``"south"``, ``"南方"``, ``"广东"``); national by default.
    method : {"cn", "ipcc2006"}
        Fuel CO2 by the Chinese guidelines or by IPCC 2006 defaults.
    grid_series : {"average", "excl_market_nonfossil", "fossil", "cets"}
        MEE/NBS series of the electricity factor, or the carbon-market reporting factor (``"cets"``).
    ncv_unit : str, optional
        Unit of a measured net calorific value (``"kJ/kg"``, ``"MJ/m3"``); the multipliers then apply to
        quantity x NCV, and the measured NCV wins over the default coefficient.
    factors : FactorSet, optional
        Factor tables; the package's own by default.

    Returns
    -------
    Coefficients

    Raises
    ------
    UnknownCarrier, UnknownUnit, UnitMismatch, UnknownFactor
        For a carrier or unit not known, a unit of the wrong dimension, or a region/series with no factor.
    """
    if method not in METHODS:
        raise InvalidInput(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    if grid_series not in GRID_SERIES:
        raise InvalidInput(f"unknown grid series {grid_series!r}; series: {', '.join(GRID_SERIES)}")
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or not str(unit).strip():
        raise UnknownUnit("the unit is empty; give one such as kWh, 万千瓦时, t, 吨, m3 or 万立方米")
    return _coefficients(str(carrier), str(unit), None if ncv_unit is None else str(ncv_unit),
                         check_year(year), region, method, grid_series,
                         factors or default_factors())
