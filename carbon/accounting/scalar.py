"""One quantity converted into energy, tce (both bases) and CO2, with the factors used.

:func:`convert` returns everything (a :class:`Conversion`); :func:`to_tce` and :func:`to_co2` return one pint
quantity and warn (:class:`FactorFallbackWarning`) when another year's factor stood in. The multipliers come from
:func:`carbon.accounting.coefficients.coefficients`.

References
----------
.. [1] GB/T 2589-2020 综合能耗计算通则, Annex A, Tables A.1 and A.2.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any, Literal

import pint

from carbon.accounting.coefficients import (
    METHOD_NAMES,
    VALUE_COLUMNS,
    Coefficients,
    GridSeries,
    Method,
    check_year,
    coefficients,
    ncv_bounds,
)
from carbon.carriers import get_carrier
from carbon.errors import InvalidInput, InvalidQuantity
from carbon.factors import Factor, FactorSet, default_factors
from carbon.units import Q_

__all__ = ["BASES", "Conversion", "FactorFallbackWarning", "convert", "to_co2", "to_tce"]

Basis = Literal["equivalent", "equal"]

BASES: tuple[str, ...] = ("equivalent", "equal")


class FactorFallbackWarning(UserWarning):
    """A factor of another year stood in for the requested one."""


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

    @property
    def fallback_factors(self) -> list[str]:
        """Ids of the factors of another year that stood in, so a reader sees which one fell back."""
        return [factor.id for factor in self.factors if factor.fallback]

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the conversion."""
        return {
            "quantity": self.quantity, "unit": self.unit, "carrier": self.carrier, "carrier_zh": self.carrier_zh,
            "ncv": self.ncv, "ncv_unit": self.ncv_unit, "year": self.year, "region": self.region,
            "basis": self.basis, "method": self.method, "energy_gj": self.energy_gj, "tce": self.tce,
            "tce_equivalent": self.tce_equivalent, "tce_equal": self.tce_equal, "co2_t": self.co2_t,
            "method_name": METHOD_NAMES.get(self.method, self.method), "fallback": self.fallback,
            "fallback_factors": self.fallback_factors, "notes": list(self.notes), "factor_version": self.factor_version,
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
        raise InvalidInput(f"unknown basis {basis!r}; bases: {', '.join(BASES)}")
    value = _check_quantity(quantity)
    year = check_year(year)
    if (ncv is None) != (ncv_unit is None):
        raise InvalidInput("give a measured NCV together with its unit, e.g. ncv=21500, ncv_unit='kJ/kg'")
    scale = value
    factors = factors or default_factors()
    coef = coefficients(carrier, unit, year=year, region=region, method=method, grid_series=grid_series,
                        ncv_unit=ncv_unit, factors=factors)
    if ncv is not None:
        scale *= _check_ncv(ncv, ncv_unit, coef, factors)
    values = [scale * getattr(coef, name) for name in VALUE_COLUMNS]
    if not all(math.isfinite(v) for v in values):
        raise InvalidQuantity(f"{quantity!r} {unit} of {coef.carrier} gives a result that is not a finite number; "
                              "the quantity is too large")
    return Conversion(
        quantity=value, unit=unit, carrier=coef.carrier, carrier_zh=get_carrier(coef.carrier).name_zh,
        basis=basis, method=method, year=year, region=region, energy_gj=scale * coef.energy_gj,
        tce_equivalent=scale * coef.tce_equivalent, tce_equal=scale * coef.tce_equal, co2_t=scale * coef.co2_t,
        factors=coef.factors, factor_version=factors.version, notes=coef.notes, ncv=ncv, ncv_unit=ncv_unit,
        coefficients=coef,
    )


def _check_ncv(ncv: Any, ncv_unit: str | None, coef: Coefficients, factors: FactorSet) -> float:
    """A measured NCV: a positive number within NCV_BOUNDS of the standard's NCV for the carrier."""
    value = _check_quantity(ncv)
    if value == 0:
        raise InvalidQuantity("a measured NCV must be a positive number, got 0")
    bounds = ncv_bounds(coef.carrier, coef.unit, str(ncv_unit), factors=factors)
    if bounds is not None and not bounds[0] <= value <= bounds[1]:
        raise InvalidQuantity(f"measured NCV {value:g} {ncv_unit} is implausible for {coef.carrier}: expected "
                              f"{bounds[0]:.4g}-{bounds[1]:.4g} {ncv_unit} (0.2x-5x the GB/T 2589 value)")
    return value


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

