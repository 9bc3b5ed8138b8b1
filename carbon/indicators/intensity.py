"""Energy intensity (万元GDP能耗) of a region against the target path of its plan.

Energy intensity is total energy consumption [tce] per 10 000 yuan (万元) of regional GDP at constant
(comparable) prices. Its annual change compounds: r_y = I_y / I_{y-1} - 1 = (1 + g_E) / (1 + g_GDP) - 1, and over
several years Π(1 + r_y) - 1 = I_end / I_start - 1. A plan fixes a base-year and a target-year value; the path
between them is the constant annual rate that joins the two.

Two deductions may apply to the assessed energy, each a per-region setting of :class:`IntensityTarget`:
feedstock energy use (原料用能), deducted in the base and in every later year with GDP unchanged, and the renewable
electricity added above the base year. Raw and adjusted figures are always reported side by side.

All functions are pure: statistics come in as a frame indexed by year, results go out as frames and a report.

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
import operator
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from carbon.errors import CarbonError
from carbon.jsonable import jsonable, records

__all__ = [
    "INTENSITY_UNIT", "GdpForecast", "IndicatorInputError", "IntensityReport", "IntensityTarget", "annual_change",
    "change_from_growth", "compound_change", "intensity_table", "target_path",
]

INTENSITY_UNIT = "tce/万元"

# Cumulative changes are compared in percentage points; this absorbs float rounding only (0.15 x (0.13/0.15)^1
# is not exactly 0.13 in binary), it is no policy tolerance.
_ROUNDING_PCT = 1e-9
# The recent trend used for the projection: the mean annual change over at most this many measured years.
TREND_YEARS = 3

OnTrackBasis = Literal["relative", "official"]


class IndicatorInputError(CarbonError, ValueError):
    """Statistics, a target or a parameter that an indicator cannot be computed from."""


# --------------------------------------------------------------------------------------------------- inputs


def _year(value: Any, name: str) -> int:
    if isinstance(value, bool):
        raise IndicatorInputError(f"{name} must be a year (an integer), got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise IndicatorInputError(f"{name} must be a year (an integer), got {value!r}") from None


def _positive(value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IndicatorInputError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise IndicatorInputError(f"{name} must be a positive number, got {value!r}")
    return number


def _year_index(index: pd.Index, what: str) -> pd.Index:
    """The index as int64 years, or an error naming the offending labels."""
    numbers = pd.to_numeric(pd.Series(index, dtype=object), errors="coerce")
    bad = index[numbers.isna().to_numpy() | (numbers.to_numpy() % 1 != 0)]
    if len(bad):
        raise IndicatorInputError(f"{what} must be indexed by year (integers); not a year: {list(bad)[:5]}")
    years = pd.Index(numbers.astype("int64"), name="year")
    duplicated = years[years.duplicated()].unique()
    if len(duplicated):
        raise IndicatorInputError(f"{what} has more than one row for year(s) {list(duplicated)}")
    return years


def _yearly_frame(frame: pd.DataFrame, what: str, required: Iterable[str], optional: Iterable[str] = (),
                  aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy indexed by int year (a ``year`` column is used when present), sorted, with float columns.

    ``aliases`` maps other names of a column (the store's) to the canonical one, used when the canonical name is
    absent.

    Raises
    ------
    IndicatorInputError
        When ``frame`` is not a DataFrame, lacks a required column, has non-year or repeated index labels, or
        holds a value that is not a number.
    """
    if not isinstance(frame, pd.DataFrame):
        raise IndicatorInputError(f"{what} must be a pandas DataFrame indexed by year, got {type(frame).__name__}")
    required, optional = list(required), list(optional)
    renames = {alias: name for alias, name in (aliases or {}).items()
               if alias in frame.columns and name not in frame.columns}
    if renames:
        frame = frame.rename(columns=renames)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise IndicatorInputError(f"{what} lacks the column(s) {', '.join(missing)}; "
                                  f"expected {', '.join(required)} (optional: {', '.join(optional) or 'none'})")
    if "year" in frame.columns:
        frame = frame.set_index("year")
    columns = [name for name in (*required, *optional) if name in frame.columns]
    out = pd.DataFrame(index=_year_index(frame.index, what))
    for name in columns:
        raw = frame[name].to_numpy()
        values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").astype("float64")
        unreadable = values.isna().to_numpy() & pd.notna(pd.Series(raw, dtype=object)).to_numpy()
        if unreadable.any():
            raise IndicatorInputError(f"{what}: {name} is not a number in year(s) "
                                      f"{list(out.index[unreadable])} ({list(raw[unreadable])[:3]})")
        out[name] = values.to_numpy()
    return out.sort_index()


def _yearly_series(series: pd.Series, what: str) -> pd.Series:
    """A float copy indexed by int year, sorted."""
    if not isinstance(series, pd.Series):
        raise IndicatorInputError(f"{what} must be a pandas Series indexed by year, got {type(series).__name__}")
    frame = _yearly_frame(series.to_frame("value"), what, ["value"])
    return frame["value"].rename(series.name)


def _check_not_negative(values: pd.Series, what: str, *, strictly: bool = False) -> None:
    bad = values < 0 if not strictly else values <= 0
    if bad.any():
        relation = "positive" if strictly else "zero or more"
        raise IndicatorInputError(f"{what} must be {relation}; year(s) {list(values.index[bad])}: "
                                  f"{list(values[bad])[:3]}")


# --------------------------------------------------------------------------------------------------- targets


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
        base_year, target_year = _year(self.base_year, "base_year"), _year(self.target_year, "target_year")
        if base_year >= target_year:
            raise IndicatorInputError(f"the target year ({target_year}) must come after the base year ({base_year})")
        object.__setattr__(self, "base_year", base_year)
        object.__setattr__(self, "target_year", target_year)
        object.__setattr__(self, "base_value", _positive(self.base_value, "base_value [tce/万元]"))
        object.__setattr__(self, "target_value", _positive(self.target_value, "target_value [tce/万元]"))
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
            object.__setattr__(self, "gdp_constant", _positive(self.gdp_constant, "gdp_constant [万元]"))
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
    values = _yearly_series(intensity, "intensity")
    _check_not_negative(values.dropna(), "intensity")
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
    index = _year_index(pd.Index(list(years)), "years")
    elapsed = (index.to_numpy() - target.base_year) / target.span
    path = target.base_value * (target.target_value / target.base_value) ** elapsed
    if not extrapolate:
        path = np.where((index >= target.base_year) & (index <= target.target_year), path, np.nan)
    return pd.Series(path, index=index, name="target_path", dtype="float64")


# --------------------------------------------------------------------------------------------------- report


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
    frame = _yearly_frame(stats, "the statistics frame", ["energy_tce", "gdp_constant"],
                          ["feedstock_tce", "renewable_tce"], STATISTICS_ALIASES)
    _check_not_negative(frame["gdp_constant"].dropna(), "gdp_constant [万元]", strictly=True)
    for name in ("energy_tce", "feedstock_tce", "renewable_tce"):
        if name in frame:
            _check_not_negative(frame[name].dropna(), f"{name} [tce]")
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
