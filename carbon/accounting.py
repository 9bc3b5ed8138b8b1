"""Conversion of energy quantities into energy, standard coal equivalent and CO2.

The work is split in two: :func:`coefficients` resolves, once per (carrier, unit, year, region, method) group,
the multipliers that turn one unit of the reported quantity into GJ, tce on both bases and tonnes of CO2 — the
only place pint and the factor tables are consulted; :func:`convert_frame` applies them to a whole frame with
numpy, and :func:`convert`, :func:`to_tce` and :func:`to_co2` to one value.

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
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Literal

import numpy as np
import pandas as pd
import pint

from carbon.carriers import Carrier, get_carrier
from carbon.errors import CarbonError, InvalidQuantity, UnitMismatch, UnknownFactor, UnknownUnit
from carbon.factors import Factor, FactorSet, default_factors
from carbon.units import Q_, parse_unit, ureg

__all__ = [
    "Coefficients", "Conversion", "FactorFallbackWarning", "coefficients", "convert", "convert_frame",
    "to_co2", "to_tce",
]

Basis = Literal["equivalent", "equal"]
Method = Literal["cn", "ipcc2006"]
GridSeries = Literal["average", "excl_market_nonfossil", "fossil", "cets"]

BASES: tuple[str, ...] = ("equivalent", "equal")
METHODS: tuple[str, ...] = ("cn", "ipcc2006")
GRID_SERIES: tuple[str, ...] = ("average", "excl_market_nonfossil", "fossil", "cets")

# Mass of CO2 per mass of carbon burned: molar masses 44 and 12, as GB/T 32150-2015 (formula 3) and the
# IPCC 2006 Guidelines (Vol. 2, eq. 2.1 notes) write it.
CO2_PER_CARBON = Q_(44 / 12, "tCO2/tC")

_DIMENSIONS = {
    "energy": ureg.get_dimensionality("J"),
    "mass": ureg.get_dimensionality("kg"),
    "volume": ureg.get_dimensionality("m3"),
}
_EXAMPLES = {"energy": "kWh, 万千瓦时, MWh, GJ, 百万千焦", "mass": "t, 吨, kg, 万吨", "volume": "m3, 万立方米, Nm3, L"}


class FactorFallbackWarning(UserWarning):
    """A factor of another year stood in for the requested one."""


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


def _co2_per_energy(carrier: Carrier, method: str, factors: FactorSet) -> tuple[pint.Quantity, pint.Quantity, Factor]:
    """Emission factor per energy [tCO2/GJ] and the method's NCV, for a fuel or bought-in heat."""
    if carrier.kind == "secondary":
        factor = factors.lookup("secondary_co2", carrier=carrier.id)
        return factor.quantity, Q_(float("nan"), "GJ/t"), factor
    if method == "cn":
        factor = factors.lookup("fuel_co2_cn", carrier=carrier.id)
        per_energy = Q_(factor.extra["carbon_content"], factor.extra["carbon_content_unit"]) \
            * factor.extra["oxidation"] * CO2_PER_CARBON
    elif method == "ipcc2006":
        factor = factors.lookup("fuel_co2_ipcc2006", carrier=carrier.id)
        per_energy = factor.quantity  # IPCC 2006 Tier 1 assumes complete oxidation
    else:
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    return per_energy.to("tCO2/GJ"), Q_(factor.extra["ncv"], factor.extra["ncv_unit"]), factor


def _grid_factor(year: int | None, region: str | None, series: str, factors: FactorSet) -> Factor:
    if series == "cets":
        return factors.lookup("grid_co2_market", year=year, region=factors.region_id(region or "national",
                                                                                    "grid_co2_market"))
    if series not in GRID_SERIES:
        raise ValueError(f"unknown grid series {series!r}; series: {', '.join(GRID_SERIES)}")
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
            if ncv_unit_text is None and carrier.kind == "fossil":
                # Each method carries its own NCV (IPCC 2006 defaults differ from the national ones).
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
        raise ValueError(f"unknown method {method!r}; methods: {', '.join(METHODS)}")
    if unit is None or (isinstance(unit, float) and math.isnan(unit)) or not str(unit).strip():
        raise UnknownUnit("the unit is empty; give one such as kWh, 万千瓦时, t, 吨, m3 or 万立方米")
    return _coefficients(str(carrier), str(unit), None if ncv_unit is None else str(ncv_unit),
                         None if year is None else int(year), region, method, grid_series,
                         factors or default_factors())


def _check_quantity(quantity: Any) -> float:
    if isinstance(quantity, bool):
        raise InvalidQuantity(f"quantity {quantity!r} is not a number")
    try:
        value = float(quantity)
    except (TypeError, ValueError):
        raise InvalidQuantity(f"quantity {quantity!r} is not a number") from None
    if not math.isfinite(value):
        raise InvalidQuantity(f"quantity {quantity!r} is not a finite number")
    if value < 0:
        raise InvalidQuantity(f"quantity {value:g} is negative; report consumption as a non-negative amount")
    return value


@dataclass(frozen=True)
class Conversion:
    """One quantity converted, with the factors used and any notes."""

    quantity: float
    unit: str
    carrier: str
    carrier_zh: str
    basis: str
    method: str
    year: int | None
    region: str | None
    energy_gj: float
    tce_equivalent: float
    tce_equal: float
    co2_t: float
    factors: tuple[Factor, ...]
    factor_version: str
    notes: tuple[str, ...] = field(default=())
    ncv: float | None = None
    ncv_unit: str | None = None
    coefficients: Coefficients | None = field(default=None, repr=False, compare=False)

    @property
    def tce(self) -> float:
        """Standard coal equivalent [tce] on the requested basis."""
        return self.tce_equivalent if self.basis == "equivalent" else self.tce_equal

    @property
    def fallback(self) -> bool:
        return any(factor.fallback for factor in self.factors)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the conversion."""
        return {
            "quantity": self.quantity, "unit": self.unit, "carrier": self.carrier, "carrier_zh": self.carrier_zh,
            "ncv": self.ncv, "ncv_unit": self.ncv_unit, "year": self.year, "region": self.region,
            "basis": self.basis, "method": self.method, "energy_gj": self.energy_gj, "tce": self.tce,
            "tce_equivalent": self.tce_equivalent, "tce_equal": self.tce_equal, "co2_t": self.co2_t,
            "fallback": self.fallback, "notes": list(self.notes), "factor_version": self.factor_version,
            "factors": [factor.to_dict() for factor in self.factors],
        }


def convert(quantity: float, unit: str, carrier: str, *, basis: Basis = "equivalent", year: int | None = None,
            region: str | None = None, method: Method = "cn", grid_series: GridSeries = "average",
            ncv: float | None = None, ncv_unit: str | None = None,
            factors: FactorSet | None = None) -> Conversion:
    """Convert one quantity into energy, tce (both bases) and CO2, keeping the factors used.

    Parameters
    ----------
    quantity : float
        Amount consumed, non-negative, in ``unit``.
    unit, carrier, year, region, method, grid_series, factors
        As in :func:`coefficients`.
    basis : {"equivalent", "equal"}
        Basis of :attr:`Conversion.tce`: 当量值 (equivalent, default) or 等价值 (equal-value).
    ncv, ncv_unit : float and str, optional
        A measured net calorific value of the fuel (实测低位发热量), e.g. ``21500, "kJ/kg"``; it wins.

    Returns
    -------
    Conversion

    Examples
    --------
    >>> round(convert(1, "万千瓦时", "电力").tce, 4)
    1.229
    """
    if basis not in BASES:
        raise ValueError(f"unknown basis {basis!r}; bases: {', '.join(BASES)}")
    value = _check_quantity(quantity)
    if (ncv is None) != (ncv_unit is None):
        raise ValueError("give a measured NCV together with its unit, e.g. ncv=21500, ncv_unit='kJ/kg'")
    scale = value
    if ncv is not None:
        scale *= _check_quantity(ncv)
    factors = factors or default_factors()
    coef = coefficients(carrier, unit, year=year, region=region, method=method, grid_series=grid_series,
                        ncv_unit=ncv_unit, factors=factors)
    return Conversion(
        quantity=value, unit=unit, carrier=coef.carrier, carrier_zh=get_carrier(coef.carrier).name_zh,
        basis=basis, method=method, year=year, region=region, energy_gj=scale * coef.energy_gj,
        tce_equivalent=scale * coef.tce_equivalent, tce_equal=scale * coef.tce_equal, co2_t=scale * coef.co2_t,
        factors=coef.factors, factor_version=factors.version, notes=coef.notes, ncv=ncv, ncv_unit=ncv_unit,
        coefficients=coef,
    )


def _warn_fallback(*used: Factor) -> None:
    for factor in used:
        if factor.fallback:
            warnings.warn(factor.fallback_note or factor.id, FactorFallbackWarning, stacklevel=3)


def to_tce(quantity: float, unit: str, carrier: str, *, basis: Basis = "equivalent", year: int | None = None,
           ncv: float | None = None, ncv_unit: str | None = None,
           factors: FactorSet | None = None) -> pint.Quantity:
    """Standard coal equivalent of a quantity of an energy carrier.

    Parameters
    ----------
    quantity : float
        Amount consumed, in ``unit``.
    unit : str
        ``"kWh"``, ``"万千瓦时"``, ``"t"``, ``"吨"``, ``"万立方米"``, ``"GJ"`` ...
    carrier : str
        Carrier id, Chinese name or alias.
    basis : {"equivalent", "equal"}
        当量值 (default) or 等价值; they differ for electricity (previous year's coal rate), heat and steam.
    year : int, optional
        Data year, for the 等价值 of electricity.
    ncv, ncv_unit : optional
        Measured net calorific value, which wins over the default coefficient.

    Returns
    -------
    pint.Quantity
        Standard coal equivalent [tce]. A :class:`FactorFallbackWarning` is issued when another year's factor
        stood in.

    References
    ----------
    .. [1] GB/T 2589-2020 综合能耗计算通则, Annex A, Tables A.1 and A.2.

    Examples
    --------
    >>> to_tce(10000, "kWh", "electricity")
    <Quantity(1.229, 'tonne_coal_equivalent')>
    """
    result = convert(quantity, unit, carrier, basis=basis, year=year, ncv=ncv, ncv_unit=ncv_unit, factors=factors)
    coef = result.coefficients
    assert coef is not None
    _warn_fallback(coef.tce_factor if basis == "equivalent" else coef.tce_equal_factor, *coef.bridges)
    return Q_(result.tce, "tce")


def to_co2(quantity: float, unit: str, carrier: str, *, year: int | None = None, region: str | None = None,
           method: Method = "cn", grid_series: GridSeries = "average", ncv: float | None = None,
           ncv_unit: str | None = None, factors: FactorSet | None = None) -> pint.Quantity:
    """CO2 emitted by consuming a quantity of an energy carrier.

    Parameters
    ----------
    quantity, unit, carrier
        As in :func:`to_tce`.
    year : int, optional
        Data year, for the electricity factor (newest earlier year when none is published yet).
    region : str, optional
        Grid region or province for electricity (national average by default).
    method : {"cn", "ipcc2006"}
        Fuel CO2 by the Chinese guidelines (NCV x carbon content x oxidation x 44/12) or IPCC 2006 defaults.
    grid_series : {"average", "excl_market_nonfossil", "fossil", "cets"}
        Which electricity factor series.

    Returns
    -------
    pint.Quantity
        CO2 [tCO2].

    Examples
    --------
    >>> to_co2(1, "MWh", "electricity", year=2022)
    <Quantity(0.5366, 'tonne_co2')>
    """
    result = convert(quantity, unit, carrier, year=year, region=region, method=method, grid_series=grid_series,
                     ncv=ncv, ncv_unit=ncv_unit, factors=factors)
    coef = result.coefficients
    assert coef is not None
    _warn_fallback(coef.co2_factor, *coef.bridges)
    return Q_(result.co2_t, "tCO2")


# -- frames -----------------------------------------------------------------------------------------------

OUTPUT_COLUMNS: tuple[str, ...] = (
    "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor", "tce_equal_factor", "co2_factor",
    "factor_fallback", "factor_version",
)


def _codes(values: pd.Series | None) -> tuple[np.ndarray | None, list[Hashable]]:
    """Integer codes per row and the distinct values they stand for (None for missing).

    Categorical columns give their codes for free; other columns are factorised once.
    """
    if values is None:
        return None, [None]
    if isinstance(values.dtype, pd.CategoricalDtype):
        codes = values.cat.codes.to_numpy()
        uniques: list[Hashable] = list(values.cat.categories)
        if (codes < 0).any():
            codes = np.where(codes < 0, len(uniques), codes)
            uniques.append(None)
        return codes, uniques
    codes, found = pd.factorize(values, use_na_sentinel=False)
    return codes, [None if pd.isna(u) else u for u in found]


def _year_codes(frame: pd.DataFrame, year: int | None) -> tuple[np.ndarray | None, list[Hashable]]:
    if "year" in frame:
        codes, uniques = _codes(frame["year"])
        return codes, [None if u is None else int(u) for u in uniques]
    if "period" in frame:
        # Parse each distinct period once ("2024-03" → 2024), not each row; the period codes serve as keys.
        codes, periods = _codes(frame["period"])
        return codes, [None if p is None else int(str(p)[:4]) for p in periods]
    return None, [year]


def _groups(keys: list[tuple[np.ndarray | None, list[Hashable]]], n: int) -> tuple[np.ndarray, list[tuple]]:
    """Number the distinct key combinations: a group code per row and the key values per group."""
    combined = np.zeros(n, dtype=np.intp)  # intp: what bincount and take use without converting
    size = 1
    for codes, uniques in keys:
        if codes is not None:
            combined *= len(uniques)
            combined += codes
        size *= len(uniques)
    if size <= 4 * n + 1024:
        # Keys are small integers: a dense table beats hashing a million values.
        present = np.flatnonzero(np.bincount(combined, minlength=size))
        to_group = np.zeros(size, dtype=np.intp)
        to_group[present] = np.arange(len(present), dtype=np.intp)
        group_codes, group_keys = to_group[combined], present
    else:
        group_codes, group_keys = pd.factorize(combined)
    decoded = []
    for key in group_keys:
        parts = []
        for codes, uniques in reversed(keys):
            if codes is None:
                parts.append(uniques[0])
            else:
                key, code = divmod(int(key), len(uniques))
                parts.append(uniques[code])
        decoded.append(tuple(reversed(parts)))
    return group_codes, decoded


def _describe_rows(index: pd.Index, positions: np.ndarray) -> str:
    shown = ", ".join(str(label) for label in index[positions[:3]])
    more = f" and {len(positions) - 3} more" if len(positions) > 3 else ""
    return f"row{'s' if len(positions) > 1 else ''} {shown}{more}"


def _categorical(values: Sequence[str], group_codes: np.ndarray) -> pd.Categorical:
    """Per-row strings from per-group strings, without building a million Python strings."""
    categories, to_category = np.unique(np.asarray(values, dtype=object), return_inverse=True)
    small = np.int8 if len(categories) < np.iinfo(np.int8).max else np.int32
    return pd.Categorical.from_codes(to_category.astype(small)[group_codes], categories=categories, validate=False)


def convert_frame(frame: pd.DataFrame, *, year: int | None = None, region: str | None = None,
                  method: Method = "cn", grid_series: GridSeries = "average",
                  factors: FactorSet | None = None) -> pd.DataFrame:
    """Convert a frame of activity data into energy, tce on both bases and CO2, vectorised.

    The factors are resolved once per distinct (carrier, unit, year, region[, NCV unit]) group, and applied
    to the rows with numpy; no row is converted on its own. Categorical ``carrier``, ``unit`` and ``period``
    columns are the fastest input (their codes are used as they are).

    Parameters
    ----------
    frame : DataFrame
        Columns ``quantity``, ``unit`` and ``carrier``; optional ``year`` or ``period`` (``YYYY-MM``),
        ``region``, and a measured net calorific value ``ncv`` with ``ncv_unit`` (rows where it is given use
        it instead of the default coefficient).
    year, region : optional
        Used when the frame has no such column.
    method, grid_series, factors
        As in :func:`coefficients`.

    Returns
    -------
    DataFrame
        The input columns, with ``carrier`` made canonical, and ``energy_gj`` [GJ], ``tce_equivalent`` [tce],
        ``tce_equal`` [tce], ``co2_t`` [tCO2], ``tce_factor``, ``tce_equal_factor``, ``co2_factor`` (factor
        ids), ``factor_fallback`` (another year's factor stood in) and ``factor_version``. The input frame
        is left as it was.

    Raises
    ------
    InvalidQuantity
        If a quantity is not a finite non-negative number (the message names the rows).
    UnknownCarrier, UnknownUnit, UnitMismatch, UnknownFactor
        For a group that cannot be converted; the message names its rows.
    """
    missing = [column for column in ("quantity", "unit", "carrier") if column not in frame]
    if missing:
        raise KeyError(f"convert_frame needs the columns quantity, unit and carrier; missing: {', '.join(missing)}")
    factors = factors or default_factors()
    n = len(frame)
    quantity = pd.to_numeric(frame["quantity"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    if n and not (np.isfinite(quantity).all() and quantity.min() >= 0):
        bad = np.flatnonzero(~(quantity >= 0) | np.isinf(quantity))
        raise InvalidQuantity(f"{_describe_rows(frame.index, bad)}: quantity is not a finite non-negative number")

    ncv_unit_codes: tuple[np.ndarray | None, list[Hashable]] = (None, [None])
    if "ncv" in frame and "ncv_unit" in frame:
        ncv = pd.to_numeric(frame["ncv"], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        measured = ~np.isnan(ncv)
        if measured.any():
            if (ncv[measured] <= 0).any() or np.isinf(ncv).any():
                rows = np.flatnonzero(measured & ((ncv <= 0) | np.isinf(ncv)))
                raise InvalidQuantity(f"{_describe_rows(frame.index, rows)}: a measured NCV must be a positive number")
            quantity = np.where(measured, quantity * ncv, quantity)
            ncv_unit_codes = _codes(frame["ncv_unit"].where(measured, None))

    keys = [
        _codes(frame["carrier"]),
        _codes(frame["unit"]),
        _year_codes(frame, year),
        _codes(frame["region"]) if "region" in frame else (None, [region]),
        ncv_unit_codes,
    ]
    group_codes, group_keys = _groups(keys, n)

    per_group: list[Coefficients] = []
    for carrier, unit, group_year, group_region, ncv_unit in group_keys:
        try:
            per_group.append(coefficients(
                carrier, unit, year=group_year, region=group_region if group_region is not None else region,
                method=method, grid_series=grid_series, ncv_unit=ncv_unit, factors=factors))
        except CarbonError as error:
            rows = np.flatnonzero(group_codes == len(per_group))
            raise type(error)(f"{_describe_rows(frame.index, rows)} ({carrier}, {unit}): {error}") from error

    columns: dict[str, Any] = {name: frame[name] for name in frame.columns}
    columns["carrier"] = _categorical([c.carrier for c in per_group], group_codes)
    multipliers = np.array([[c.energy_gj, c.tce_equivalent, c.tce_equal, c.co2_t] for c in per_group],
                           dtype=float).reshape(len(per_group), 4)
    for position, name in enumerate(("energy_gj", "tce_equivalent", "tce_equal", "co2_t")):
        values = multipliers[:, position].take(group_codes)
        values *= quantity  # in place: one pass, no temporary
        columns[name] = values
    for name in ("tce_factor", "tce_equal_factor", "co2_factor"):
        columns[name] = _categorical([getattr(c, name).id for c in per_group], group_codes)
    columns["factor_fallback"] = np.array([c.fallback for c in per_group], dtype=bool)[group_codes]
    columns["factor_version"] = pd.Categorical.from_codes(np.zeros(n, dtype=np.int8), categories=[factors.version])
    # Assembled without copying: the new arrays are the frame's, the input columns stay shared until written.
    return pd.DataFrame(columns, index=frame.index, copy=False)
