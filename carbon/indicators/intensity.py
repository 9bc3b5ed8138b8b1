"""Energy intensity (万元GDP能耗) of a region against the target path of its plan, year by year, and what the
years still open require.

All functions are pure: statistics come in as a frame indexed by year, results go out as frames and a report. The
target, its path and the annual changes are in :mod:`carbon.indicators.targets`.

Two deductions may apply to the assessed energy, each a per-region setting of :class:`IntensityTarget`:
feedstock energy use (原料用能), deducted in the base and in every later year with GDP unchanged, and the renewable
electricity added above the base year. Raw and adjusted figures are always reported side by side.

References
----------
.. [1] 国务院 国发〔2021〕33号 “十四五”节能减排综合工作方案: national energy intensity -13.5 % in 2025 vs 2020.
.. [2] 国家发展改革委 国家统计局, 发改环资〔2022〕803号 (原料用能不纳入能源消费总量控制):
       feedstock energy use is deducted from total consumption in the base and the assessed year.
.. [3] 发改运行〔2022〕1258号 (新增可再生能源消费不纳入能源消费总量控制): renewable electricity added above
       the 2020 level is left out of the total-consumption assessment. Whether it is also left out of the
       intensity assessment is reported differently by secondary sources (unverified), hence a setting that is
       off by default.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from carbon.indicators._common import IndicatorInputError, as_positive, check_not_negative, yearly_frame
from carbon.indicators.targets import INTENSITY_UNIT, IntensityTarget, annual_change, target_path
from carbon.jsonable import jsonable, records

__all__ = ["GdpForecast", "IntensityReport", "intensity_table"]

# Cumulative changes are compared in percentage points; this absorbs float rounding only (0.15 x (0.13/0.15)^1
# is not exactly 0.13 in binary), it is no policy tolerance.
_ROUNDING_PCT = 1e-9
# The recent trend used for the projection: the mean annual change over at most this many measured years.
TREND_YEARS = 3

OnTrackBasis = Literal["relative", "official"]


@dataclass(frozen=True)
class GdpForecast:
    """GDP of the next open year, to size its energy budget: give exactly one of the two.

    Attributes
    ----------
    gdp_constant : float, optional
        GDP of that year at constant prices [万元].
    growth_pct : float, optional
        Real GDP growth over the latest measured year [%] (5.0 means +5 %).
    """

    gdp_constant: float | None = None
    growth_pct: float | None = None

    def __post_init__(self) -> None:
        if (self.gdp_constant is None) == (self.growth_pct is None):
            raise IndicatorInputError("a GDP forecast takes exactly one of gdp_constant [万元] or growth_pct [%]")
        if self.gdp_constant is not None:
            object.__setattr__(self, "gdp_constant", as_positive(self.gdp_constant, "gdp_constant [万元]"))
        else:
            growth = float(self.growth_pct)  # type: ignore[arg-type]
            if not math.isfinite(growth) or growth <= -100:
                raise IndicatorInputError(f"growth_pct must be a number above -100 %, got {self.growth_pct!r}")
            object.__setattr__(self, "growth_pct", growth)

    def gdp(self, previous_gdp: float) -> float:
        """GDP of the forecast year [万元], from the previous year's when a growth rate was given."""
        if self.gdp_constant is not None:
            return self.gdp_constant
        return previous_gdp * (1 + self.growth_pct / 100)  # type: ignore[operator]


ON_TRACK_RULE = (
    "on_track: the adjusted intensity's cumulative change since the base year is at or below the target path's "
    "cumulative change for that year (a relative test: the plan's rate is applied to the region's own computed "
    "base-year intensity, which need not equal the official base value exactly). When the base year has no "
    "measured adjusted intensity, the adjusted intensity is compared with the official path instead."
)
TREND_RULE = (
    f"trend: the geometric mean of the adjusted intensity's annual changes over the last {TREND_YEARS} measured "
    "years with a change (fewer when fewer are known), compounded from the latest measured year to the target year."
)


@dataclass(frozen=True)
class IntensityReport:
    """Energy intensity by year against the target path, and what the open years require.

    Attributes
    ----------
    target : IntensityTarget
    table : DataFrame
        One row per year (the statistics' years and every plan year), columns ``year``, ``energy_tce``,
        ``feedstock_deducted_tce``, ``renewables_deducted_tce``, ``energy_adjusted_tce`` [tce],
        ``gdp_constant`` [万元], ``intensity``, ``intensity_adjusted`` [tce/万元], ``change_pct_raw``,
        ``change_pct`` [%], ``cumulative_change_pct_raw``, ``cumulative_change_pct`` [%], ``target_path``
        [tce/万元], ``target_cumulative_change_pct`` [%], ``on_track`` (nullable boolean).
    on_track_basis : {"relative", "official"}
        Whether cumulative changes are taken against the measured base year or the official base value.
    base_intensity_adjusted : float or None
        Measured adjusted intensity of the base year [tce/万元].
    latest_year, latest_intensity_adjusted
        The latest year with both energy and GDP, and its adjusted intensity [tce/万元].
    open_years : tuple of int
        Years after ``latest_year`` up to the target year.
    target_equivalent_value : float or None
        The adjusted intensity that meets the target on the chosen basis [tce/万元]: the measured base value
        x target_value / base_value (relative), or the official target value.
    path_annual_change_pct : float
        The plan's constant annual rate [%/yr].
    required_annual_change_pct : float or None
        The constant annual change from the latest measured adjusted intensity to the target-equivalent value [%/yr].
    trend_annual_change_pct : float or None, trend_years : tuple of int
        The recent trend [%/yr] and the years whose changes it averages (see ``TREND_RULE``).
    projected_target_value : float or None, projected_on_track : bool or None
        The adjusted intensity of the target year if the trend continues [tce/万元], and whether it meets
        ``target_equivalent_value``.
    budget_year, budget_gdp_constant
        The next open year and the GDP assumed for it [万元].
    energy_budget_adjusted_tce, energy_budget_tce : float or None
        The adjusted and the raw energy that keep ``budget_year`` on the path [tce].
    budget_assumption : str or None
        How the budget was sized.
    notes : tuple of str
        What was missing or assumed.
    """

    target: IntensityTarget
    table: pd.DataFrame
    on_track_basis: OnTrackBasis
    base_intensity_adjusted: float | None
    latest_year: int | None
    latest_intensity_adjusted: float | None
    open_years: tuple[int, ...]
    target_equivalent_value: float | None
    path_annual_change_pct: float
    required_annual_change_pct: float | None
    trend_annual_change_pct: float | None
    trend_years: tuple[int, ...]
    projected_target_value: float | None
    projected_on_track: bool | None
    budget_year: int | None
    budget_gdp_constant: float | None
    energy_budget_adjusted_tce: float | None
    energy_budget_tce: float | None
    budget_assumption: str | None
    notes: tuple[str, ...] = field(default=())

    def records(self) -> list[dict[str, Any]]:
        """The table as JSON-ready records (years as int, NaN as None)."""
        return records(self.table)

    def to_dict(self) -> dict[str, Any]:
        """The whole report as JSON-ready values."""
        out = {name: getattr(self, name) for name in self.__dataclass_fields__ if name not in ("target", "table")}
        return jsonable({"target": self.target.to_dict(), "unit": INTENSITY_UNIT, "years": self.records(),
                          "on_track_rule": ON_TRACK_RULE, "trend_rule": TREND_RULE, **out})


# Names the region statistics carry in the store and the HTTP API, mapped onto the canonical ones.
STATISTICS_ALIASES = {"energy_total_tce": "energy_tce"}


def _statistics(stats: pd.DataFrame) -> pd.DataFrame:
    frame = yearly_frame(stats, "the statistics frame", ["energy_tce", "gdp_constant"],
                          ["feedstock_tce", "renewable_tce"], STATISTICS_ALIASES)
    check_not_negative(frame["gdp_constant"].dropna(), "gdp_constant [万元]", strictly=True)
    for name in ("energy_tce", "feedstock_tce", "renewable_tce"):
        if name in frame:
            check_not_negative(frame[name].dropna(), f"{name} [tce]")
    return frame


def _feedstock_deduction(frame: pd.DataFrame, target: IntensityTarget, notes: list[str]) -> pd.Series:
    """Feedstock to deduct [tce]: NaN where it applies but is not known."""
    zero = pd.Series(0.0, index=frame.index)
    if not target.deduct_feedstock:
        return zero
    feedstock = frame.get("feedstock_tce")
    if feedstock is None or feedstock.isna().all():
        notes.append("deduct_feedstock is set but no feedstock_tce was given: no feedstock deducted")
        return zero
    unknown = feedstock.isna() & frame["energy_tce"].notna()
    if unknown.any():
        notes.append(f"feedstock_tce missing for {list(frame.index[unknown])}: adjusted figures of those years are "
                     "not computed (deducting nothing there would not be comparable with the other years)")
    return feedstock


def _renewable_deduction(frame: pd.DataFrame, target: IntensityTarget, notes: list[str]) -> pd.Series:
    """Renewables above the base year's to deduct [tce], never below zero; NaN where not known."""
    zero = pd.Series(0.0, index=frame.index)
    if not target.deduct_new_renewables:
        return zero
    renewable = frame.get("renewable_tce")
    if renewable is None or renewable.isna().all():
        notes.append("deduct_new_renewables is set but no renewable_tce was given: no renewables deducted")
        return zero
    base = renewable.get(target.base_year, np.nan)
    if np.isnan(base):
        notes.append(f"renewable_tce of the base year {target.base_year} is missing: new renewables cannot be "
                     "measured, adjusted figures are not computed")
        return pd.Series(np.nan, index=frame.index)
    unknown = renewable.isna() & frame["energy_tce"].notna()
    if unknown.any():
        notes.append(f"renewable_tce missing for {list(frame.index[unknown])}: adjusted figures of those years are "
                     "not computed")
    return (renewable - base).clip(lower=0)


def _cumulative_pct(intensity: pd.Series, reference: float) -> pd.Series:
    return (intensity / reference - 1) * 100


def _latest_trend(change: pd.Series, latest_year: int) -> tuple[float | None, tuple[int, ...]]:
    recent = change.loc[:latest_year].dropna().tail(TREND_YEARS)
    if recent.empty:
        return None, ()
    mean = (float(np.prod(1 + recent.to_numpy() / 100)) ** (1 / len(recent)) - 1) * 100
    return mean, tuple(int(year) for year in recent.index)


def intensity_table(stats: pd.DataFrame, target: IntensityTarget, *,
                    gdp_forecast: GdpForecast | None = None) -> IntensityReport:
    """Energy intensity by year, raw and adjusted, against the target path; what the open years require.

    Parameters
    ----------
    stats : DataFrame
        Indexed by year (or with a ``year`` column): ``energy_tce`` (or ``energy_total_tce``) total energy
        consumption [tce], ``gdp_constant`` GDP at constant prices [万元], optional ``feedstock_tce`` feedstock
        energy use [tce] and ``renewable_tce`` renewable energy counted in the total [tce]. NaN where not known.
    target : IntensityTarget
        The plan's base and target values and the region's deduction settings.
    gdp_forecast : GdpForecast, optional
        GDP of the next open year (absolute or as real growth); without it the statistics' GDP of that year is
        used when given.

    Returns
    -------
    IntensityReport
        See its attributes. Decisions: the adjusted energy deducts feedstock and renewables above the base year's
        renewables as the target sets (a deduction is never negative, so it never adds energy); ``on_track``
        follows ``ON_TRACK_RULE``; the projection follows ``TREND_RULE``; the energy budget of the next open year is
        the path's intensity for that year (on the chosen basis) x its GDP, plus the deductions of the latest
        measured year, assumed unchanged, so that it compares with raw totals.

    Raises
    ------
    IndicatorInputError
        A frame without ``gdp_constant`` or ``energy_tce``, non-year index labels, GDP that is not positive,
        negative energy, or deductions larger than the energy they are taken from.

    References
    ----------
    FACTS §4; 发改环资〔2022〕803号 (feedstock); 发改运行〔2022〕1258号 (new renewables).
    """
    if not isinstance(target, IntensityTarget):
        raise IndicatorInputError(f"target must be an IntensityTarget, got {type(target).__name__}")
    frame = _statistics(stats)
    plan_years = pd.RangeIndex(target.base_year, target.target_year + 1)
    frame = frame.reindex(frame.index.union(plan_years).rename("year"))
    energy, gdp = frame["energy_tce"], frame["gdp_constant"]

    notes: list[str] = []
    feedstock = _feedstock_deduction(frame, target, notes)
    renewables = _renewable_deduction(frame, target, notes)
    adjusted_energy = energy - feedstock - renewables
    negative = adjusted_energy < 0
    if negative.any():
        years = list(frame.index[negative])
        raise IndicatorInputError(f"deductions exceed total energy in {years}: feedstock {list(feedstock[negative])} "
                                  f"+ new renewables {list(renewables[negative])} > energy {list(energy[negative])} "
                                  "[tce]; check the units of the statistics")

    intensity, intensity_adjusted = energy / gdp, adjusted_energy / gdp
    base_measured = intensity_adjusted.get(target.base_year, np.nan)
    basis: OnTrackBasis = "relative" if np.isfinite(base_measured) else "official"
    if basis == "relative":
        reference_raw, reference_adjusted = intensity[target.base_year], base_measured
    else:
        reference_raw = reference_adjusted = target.base_value
        notes.append(f"no measured adjusted intensity for the base year {target.base_year}: cumulative changes and "
                     f"on_track are taken against the official base value {target.base_value} {INTENSITY_UNIT}")

    path = target_path(target, frame.index)
    cumulative = _cumulative_pct(intensity_adjusted, reference_adjusted)
    path_cumulative = _cumulative_pct(path, target.base_value)
    on_track = (cumulative <= path_cumulative + _ROUNDING_PCT).astype("boolean")
    on_track[cumulative.isna() | path_cumulative.isna()] = pd.NA

    change = annual_change(intensity_adjusted)
    table = pd.DataFrame({
        "year": frame.index.to_numpy(dtype="int64"),
        "energy_tce": energy.to_numpy(),
        "feedstock_deducted_tce": feedstock.to_numpy(),
        "renewables_deducted_tce": renewables.to_numpy(),
        "energy_adjusted_tce": adjusted_energy.to_numpy(),
        "gdp_constant": gdp.to_numpy(),
        "intensity": intensity.to_numpy(),
        "intensity_adjusted": intensity_adjusted.to_numpy(),
        "change_pct_raw": annual_change(intensity).to_numpy(),
        "change_pct": change.to_numpy(),
        "cumulative_change_pct_raw": _cumulative_pct(intensity, reference_raw).to_numpy(),
        "cumulative_change_pct": cumulative.to_numpy(),
        "target_path": path.to_numpy(),
        "target_cumulative_change_pct": path_cumulative.to_numpy(),
        "on_track": on_track.array,
    })

    measured = intensity_adjusted.dropna()
    if measured.empty:
        notes.append("no year has both energy and GDP: nothing is measured yet")
        return IntensityReport(target, table, basis, None, None, None, (), None, target.annual_change_pct,
                               None, None, (), None, None, None, None, None, None, None, tuple(notes))

    latest_year, latest_value = int(measured.index[-1]), float(measured.iloc[-1])
    latest_raw = int(intensity.dropna().index[-1])
    if latest_raw > latest_year:
        notes.append(f"the latest raw intensity is of {latest_raw} but the latest adjusted one of {latest_year}: "
                     f"open years, projection and budget start after {latest_year}")
    target_equivalent = reference_adjusted * target.target_value / target.base_value
    open_years = tuple(range(latest_year + 1, target.target_year + 1))
    trend, trend_years = _latest_trend(change, latest_year)
    required = projected = projected_on_track = None
    if open_years:
        remaining = target.target_year - latest_year
        required = ((target_equivalent / latest_value) ** (1 / remaining) - 1) * 100
        if trend is None:
            notes.append("no annual change is measured yet: no projection of the target year")
        else:
            projected = latest_value * (1 + trend / 100) ** remaining
            projected_on_track = bool(projected <= target_equivalent * (1 + _ROUNDING_PCT / 100))

    budget = _energy_budget(frame, target, path, reference_adjusted, latest_year, feedstock + renewables,
                            gdp_forecast, notes) if open_years else (None, None, None, None, None)
    return IntensityReport(
        target=target, table=table, on_track_basis=basis,
        base_intensity_adjusted=float(base_measured) if basis == "relative" else None,
        latest_year=latest_year, latest_intensity_adjusted=latest_value, open_years=open_years,
        target_equivalent_value=float(target_equivalent), path_annual_change_pct=target.annual_change_pct,
        required_annual_change_pct=required, trend_annual_change_pct=trend, trend_years=trend_years,
        projected_target_value=projected, projected_on_track=projected_on_track,
        budget_year=budget[0], budget_gdp_constant=budget[1], energy_budget_adjusted_tce=budget[2],
        energy_budget_tce=budget[3], budget_assumption=budget[4], notes=tuple(notes),
    )


def _energy_budget(frame: pd.DataFrame, target: IntensityTarget, path: pd.Series, reference: float,
                   latest_year: int, deductions: pd.Series, forecast: GdpForecast | None, notes: list[str]
                   ) -> tuple[int, float | None, float | None, float | None, str | None]:
    """Energy that keeps the next open year on the path: (year, GDP, adjusted budget, raw budget, assumption)."""
    year = latest_year + 1
    stated_gdp = frame["gdp_constant"].get(year, np.nan)
    if forecast is not None:
        gdp = forecast.gdp(float(frame["gdp_constant"][latest_year]))
        source = (f"GDP {year} = {gdp:.6g} 万元 from the forecast" if forecast.gdp_constant is not None else
                  f"GDP {year} = GDP {latest_year} x (1 + {forecast.growth_pct:g} %)")
        if np.isfinite(stated_gdp):
            notes.append(f"gdp_forecast used for {year} instead of the stated GDP {stated_gdp:.6g} 万元")
    elif np.isfinite(stated_gdp):
        gdp, source = float(stated_gdp), f"GDP {year} as stated in the statistics"
    else:
        notes.append(f"no GDP for {year}: pass a gdp_forecast to size its energy budget")
        return year, None, None, None, None
    allowed = path[year] * reference / target.base_value
    adjusted_budget = allowed * gdp
    deduction = float(deductions[latest_year])
    assumption = (f"{source}; adjusted intensity on the path: {allowed:.6g} {INTENSITY_UNIT}; deductions "
                  f"(feedstock and new renewables) assumed equal to {latest_year}'s {deduction:.6g} tce")
    return year, float(gdp), float(adjusted_budget), float(adjusted_budget + deduction), assumption
