"""An energy-intensity target, the path that joins its base and target values, and annual changes.

Energy intensity (万元GDP能耗) is total energy consumption [tce] per 10 000 yuan (万元) of regional GDP at constant
(comparable) prices. Its annual change compounds: r_y = I_y / I_{y-1} - 1 = (1 + g_E) / (1 + g_GDP) - 1, and over
several years Π(1 + r_y) - 1 = I_end / I_start - 1. A plan fixes a base-year and a target-year value; the path
between them is the constant annual rate that joins the two.

References
----------
.. [1] 国务院 国发〔2021〕33号 “十四五”节能减排综合工作方案: national energy intensity -13.5 % in 2025 vs 2020.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.indicators._common import (
    IndicatorInputError,
    as_positive,
    as_year,
    check_not_negative,
    year_index,
    yearly_series,
)

__all__ = [
    "INTENSITY_UNIT", "IntensityTarget", "annual_change", "change_from_growth", "compound_change", "target_path",
]

INTENSITY_UNIT = "tce/万元"


@dataclass(frozen=True)
class IntensityTarget:
    """A plan's energy-intensity target and the deductions the region applies.

    Attributes
    ----------
    base_year, target_year : int
        Base year (2020 in the 14th plan) and target year (2025); ``base_year < target_year``.
    base_value, target_value : float
        Official intensity in those years [tce/万元].
    deduct_feedstock : bool
        Deduct feedstock energy use (原料用能) from total consumption, in every year (发改环资〔2022〕803号).
    deduct_new_renewables : bool
        Deduct renewable energy above the base year's (发改运行〔2022〕1258号).

    Raises
    ------
    IndicatorInputError
        When a year is not an integer, ``base_year >= target_year`` or a value is not positive.
    """

    base_year: int
    base_value: float
    target_year: int
    target_value: float
    deduct_feedstock: bool = True
    deduct_new_renewables: bool = False

    def __post_init__(self) -> None:
        base_year, target_year = as_year(self.base_year, "base_year"), as_year(self.target_year, "target_year")
        if base_year >= target_year:
            raise IndicatorInputError(f"the target year ({target_year}) must come after the base year ({base_year})")
        object.__setattr__(self, "base_year", base_year)
        object.__setattr__(self, "target_year", target_year)
        object.__setattr__(self, "base_value", as_positive(self.base_value, "base_value [tce/万元]"))
        object.__setattr__(self, "target_value", as_positive(self.target_value, "target_value [tce/万元]"))
        object.__setattr__(self, "deduct_feedstock", bool(self.deduct_feedstock))
        object.__setattr__(self, "deduct_new_renewables", bool(self.deduct_new_renewables))

    @property
    def span(self) -> int:
        """Years from base to target."""
        return self.target_year - self.base_year

    @property
    def total_change_pct(self) -> float:
        """Change from base to target value [%] (0.15 → 0.13: -13.33 %)."""
        return (self.target_value / self.base_value - 1) * 100

    @property
    def annual_change_pct(self) -> float:
        """The constant annual change that joins base and target [%/yr] (0.15 → 0.13 in 5 years: -2.82)."""
        return ((self.target_value / self.base_value) ** (1 / self.span) - 1) * 100

    def to_dict(self) -> dict[str, Any]:
        """The target as plain JSON-ready values, with its derived rates."""
        return {**asdict(self), "unit": INTENSITY_UNIT, "total_change_pct": self.total_change_pct,
                "annual_change_pct": self.annual_change_pct}


# --------------------------------------------------------------------------------------------------- rates


def annual_change(intensity: pd.Series) -> pd.Series:
    """Change of an intensity over the previous year, r_y = I_y / I_{y-1} - 1.

    Parameters
    ----------
    intensity : Series
        Intensity by year (any unit; the ratio is unit-free). NaN where unknown.

    Returns
    -------
    Series
        ``change_pct`` by year [%] (-2.7 means -2.7 %). NaN where the previous calendar year is absent, NaN or
        zero: a gap is never bridged, so a missing year shows as a missing change.

    References
    ----------
    FACTS §4: r_y = (E_y / G_y) / (E_{y-1} / G_{y-1}) - 1.
    """
    values = yearly_series(intensity, "intensity")
    check_not_negative(values.dropna(), "intensity")
    previous = values.reindex(values.index - 1).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(previous > 0, values.to_numpy() / previous - 1, np.nan) * 100
    return pd.Series(change, index=values.index, name="change_pct")


def change_from_growth(energy_growth_pct: Any, gdp_growth_pct: Any) -> Any:
    """Intensity change from energy growth and real GDP growth: r = (1 + g_E) / (1 + g_GDP) - 1.

    Parameters
    ----------
    energy_growth_pct : float, array or Series
        Growth of energy consumption [%] (3.0 means +3 %).
    gdp_growth_pct : float, array or Series
        Real (constant-price) GDP growth [%], above -100.

    Returns
    -------
    float, array or Series
        Intensity change [%], of the inputs' type: energy +3 %, GDP +6 % gives 1.03 / 1.06 - 1 = -2.830 %.
    """
    if np.any(np.asarray(gdp_growth_pct, dtype=float) <= -100):
        raise IndicatorInputError("real GDP growth must be above -100 % (GDP cannot vanish)")
    if np.any(np.asarray(energy_growth_pct, dtype=float) < -100):
        raise IndicatorInputError("energy growth cannot be below -100 % (energy cannot be negative)")
    return ((1 + energy_growth_pct / 100) / (1 + gdp_growth_pct / 100) - 1) * 100


def compound_change(changes_pct: Iterable[float]) -> float:
    """Cumulative change of a run of annual changes, Π(1 + r_y) - 1 [%].

    Parameters
    ----------
    changes_pct : iterable of float
        Consecutive annual changes [%].

    Raises
    ------
    IndicatorInputError
        When a change is missing (NaN): a gap in the chain is reported, not skipped.
    """
    changes = np.asarray(list(changes_pct), dtype=float)
    if np.isnan(changes).any():
        raise IndicatorInputError("an annual change is missing: a cumulative change needs every year of the run")
    return (float(np.prod(1 + changes / 100)) - 1) * 100


def target_path(target: IntensityTarget, years: Iterable[int], *, extrapolate: bool = False) -> pd.Series:
    """Intensity on the plan's path: base_value x (target_value / base_value)^((y - base_year) / span).

    Parameters
    ----------
    target : IntensityTarget
        Base and target year and value.
    years : iterable of int
        Years to evaluate.
    extrapolate : bool
        Continue the constant rate outside the plan period; by default those years are NaN.

    Returns
    -------
    Series
        ``target_path`` by year [tce/万元]: 0.15, 0.14577, 0.14166, 0.13767, 0.13379, 0.13 for 2020 … 2025.
    """
    index = year_index(pd.Index(list(years)), "years")
    elapsed = (index.to_numpy() - target.base_year) / target.span
    path = target.base_value * (target.target_value / target.base_value) ** elapsed
    if not extrapolate:
        path = np.where((index >= target.base_year) & (index <= target.target_year), path, np.nan)
    return pd.Series(path, index=index, name="target_path", dtype="float64")

