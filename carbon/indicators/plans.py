"""Plans and their indicators: target paths, the change still required, and the assessment (考核) of a period.

A region holds targets per plan period (``14th-fyp``, ``15th-fyp``, …). Each target is an :class:`Indicator`:
a kind (energy or CO2 intensity, energy or CO2 total, non-fossil share), a base and a target year, and either a
target value or a cumulative change [%]. Between base and target year the path is the constant annual rate
that joins the two: −17 % over five years is 0.83^(1/5) − 1 = −3.66 %/yr. The non-fossil share, a share in
percent that is meant to rise, moves on a straight line in percentage points instead.

Achievement is a relative test, as for the energy-intensity report: the measured cumulative change since the
base year is compared with the path's cumulative change for that year, so a region whose own measured base
differs slightly from the published base value is judged on the plan's rate, not on a level it never had.

All functions are pure: values come in as Series indexed by year, results go out as plain dicts.

References
----------
.. [1] 国发〔2021〕33号: 14th plan, energy intensity −13.5 %, CO2 intensity −18 % (2025 vs 2020).
.. [2] 国办发〔2024〕39号: carbon dual control from the 15th plan, intensity first, total second.
.. [3] 15th five-year plan outline (2026-03-05): CO2 per unit of GDP −17 % cumulative over 2026–2030.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import InvalidInput

__all__ = [
    "INDICATOR_KINDS", "Indicator", "annual_rate_pct", "assess_indicator", "current_indicator",
    "indicator_path", "intensity_position", "required_rate_pct",
]

# kind → (unit, True when lower is better)
INDICATOR_KINDS: dict[str, tuple[str, bool]] = {
    "energy_intensity": ("tce/万元", True),
    "co2_intensity": ("t CO2/万元", True),
    "energy_total": ("tce", True),
    "co2_total": ("t CO2", True),
    "non_fossil_share": ("%", False),
}
# Cumulative changes are compared in percentage points; this absorbs float rounding only, it is no tolerance.
_ROUNDING_PCT = 1e-9


def _year(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer | float) or not float(value).is_integer():
        raise InvalidInput(f"{name} must be a whole year, got {value!r}")
    year = int(value)
    if not 1900 <= year <= 2200:
        raise InvalidInput(f"{name} {year} is not a plausible year")
    return year


def _number(value: Any, name: str, *, positive: bool = False) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | np.number) or not math.isfinite(value):
        raise InvalidInput(f"{name} must be a finite number, got {value!r}")
    if positive and value <= 0:
        raise InvalidInput(f"{name} must be positive, got {value!r}")
    return float(value)


@dataclass(frozen=True)
class Indicator:
    """One target of a plan.

    Attributes
    ----------
    kind : str
        One of :data:`INDICATOR_KINDS`.
    base_year, target_year : int
        The period: 2020 → 2025 for the 14th plan, 2025 → 2030 for the 15th.
    target_value : float, optional
        The value to reach in the target year, in the kind's unit [tce/万元, t CO2/万元, tce, t CO2 or %].
    change_pct : float, optional
        Cumulative change from the base year [%] (−17 means −17 %; percentage points for the non-fossil share).
        Exactly one of ``target_value`` and ``change_pct`` is given.
    base_value : float, optional
        The published base-year value; without it the measured base-year value serves.
    binding : bool
        Binding (约束性) or indicative (预期性).
    source : str, optional
        Where the target comes from (document, table).

    Raises
    ------
    InvalidInput
        An unknown kind, years out of order, both or neither of ``target_value`` and ``change_pct``, a change of
        −100 % or less for a ratio, or a value that is not a positive number.
    """

    kind: str
    base_year: int
    target_year: int
    target_value: float | None = None
    change_pct: float | None = None
    base_value: float | None = None
    binding: bool = True
    source: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in INDICATOR_KINDS:
            raise InvalidInput(f"unknown indicator kind {self.kind!r}; kinds: {', '.join(INDICATOR_KINDS)}")
        base, target = _year(self.base_year, "base_year"), _year(self.target_year, "target_year")
        if base >= target:
            raise InvalidInput(f"{self.kind}: the target year ({target}) must come after the base year ({base})")
        if (self.target_value is None) == (self.change_pct is None):
            raise InvalidInput(f"{self.kind}: give exactly one of target_value and change_pct")
        change = _number(self.change_pct, f"{self.kind}: change_pct")
        if change is not None and self.ratio and change <= -100:
            raise InvalidInput(f"{self.kind}: change_pct must be above -100 %, got {change}")
        object.__setattr__(self, "base_year", base)
        object.__setattr__(self, "target_year", target)
        object.__setattr__(self, "change_pct", change)
        object.__setattr__(self, "target_value", _number(self.target_value, f"{self.kind}: target_value",
                                                         positive=self.ratio))
        object.__setattr__(self, "base_value", _number(self.base_value, f"{self.kind}: base_value",
                                                       positive=self.ratio))
        object.__setattr__(self, "binding", bool(self.binding))

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Indicator:
        """An indicator from a mapping with the attribute names (unknown keys are refused)."""
        unknown = set(values) - set(cls.__dataclass_fields__)
        if unknown:
            raise InvalidInput(f"unknown indicator fields: {', '.join(sorted(unknown))}")
        try:
            return cls(**values)
        except TypeError as error:
            raise InvalidInput(f"an indicator needs kind, base_year and target_year ({error})") from None

    @property
    def unit(self) -> str:
        return INDICATOR_KINDS[self.kind][0]

    @property
    def lower_is_better(self) -> bool:
        return INDICATOR_KINDS[self.kind][1]

    @property
    def ratio(self) -> bool:
        """True when the path is a constant rate (all kinds but the non-fossil share, a share in %)."""
        return self.kind != "non_fossil_share"

    @property
    def span(self) -> int:
        return self.target_year - self.base_year

    def total_change_pct(self, base_value: float | None = None) -> float | None:
        """Planned change from base to target year [%, or percentage points for a share]; None when unknown."""
        if self.change_pct is not None:
            return self.change_pct
        base = self.base_value if self.base_value is not None else base_value
        if base is None or not math.isfinite(base) or (self.ratio and base <= 0):
            return None
        return (self.target_value / base - 1) * 100 if self.ratio else self.target_value - base  # type: ignore[operator]

    def to_dict(self, base_value: float | None = None) -> dict[str, Any]:
        """The indicator as JSON-ready values, with its unit and derived rates."""
        total = self.total_change_pct(base_value)
        return {**asdict(self), "unit": self.unit, "total_change_pct": total,
                "annual_change_pct": annual_rate_pct(total, self.span, ratio=self.ratio)}


def annual_rate_pct(total_change_pct: float | None, years: int, *, ratio: bool = True) -> float | None:
    """The constant annual change that makes ``total_change_pct`` in ``years`` years.

    Returns
    -------
    float or None
        [%/yr]: (1 + c)^(1/n) − 1 for a ratio (−17 % in 5 years: −3.66 %/yr); c / n percentage points a year for
        a share. None when the total is unknown.

    Examples
    --------
    >>> round(annual_rate_pct(-17, 5), 4)
    -3.6581
    """
    if total_change_pct is None or years <= 0:
        return None
    if not ratio:
        return total_change_pct / years
    return ((1 + total_change_pct / 100) ** (1 / years) - 1) * 100


def indicator_path(indicator: Indicator, base_value: float, years: Iterable[int]) -> pd.Series:
    """Values on the plan's path from ``base_value`` in the base year, NaN outside the period.

    Parameters
    ----------
    indicator : Indicator
    base_value : float
        The base-year value the path starts from (the published one, or the measured one) [the kind's unit].
    years : iterable of int

    Returns
    -------
    Series
        ``path`` by year: base x (1 + c)^((y − base_year) / span) for a ratio, base + c x (y − base_year) / span
        for a share.
    """
    index = pd.Index([int(y) for y in years], name="year")
    total = indicator.total_change_pct(base_value)
    if total is None or not math.isfinite(base_value):
        return pd.Series(np.nan, index=index, name="path", dtype="float64")
    elapsed = (index.to_numpy() - indicator.base_year) / indicator.span
    path = base_value * (1 + total / 100) ** elapsed if indicator.ratio else base_value + total * elapsed
    inside = (index >= indicator.base_year) & (index <= indicator.target_year)
    return pd.Series(np.where(inside, path, np.nan), index=index, name="path", dtype="float64")


def required_rate_pct(indicator: Indicator, base_value: float, latest_year: int, latest_value: float
                      ) -> float | None:
    """The constant annual change from the latest value that reaches the target in the target year [%/yr].

    None when the latest year is the target year or later, or the values do not allow a rate.

    Examples
    --------
    CO2 intensity 1.0 in 2025, −17 % by 2030, 0.95 measured in 2026: (0.83 / 0.95)^(1/4) − 1 = −3.32 %/yr.

    >>> round(required_rate_pct(Indicator("co2_intensity", 2025, 2030, change_pct=-17), 1.0, 2026, 0.95), 2)
    -3.32
    """
    total = indicator.total_change_pct(base_value)
    remaining = indicator.target_year - latest_year
    if total is None or remaining <= 0 or not math.isfinite(latest_value):
        return None
    if not indicator.ratio:
        return (base_value + total - latest_value) / remaining
    if latest_value <= 0:
        return None
    goal = base_value * (1 + total / 100)
    return ((goal / latest_value) ** (1 / remaining) - 1) * 100


def _change(values: pd.Series, reference: float, ratio: bool) -> pd.Series:
    return (values / reference - 1) * 100 if ratio else values - reference


def _base(indicator: Indicator, values: pd.Series) -> tuple[float | None, str]:
    """The value the relative test starts from, and where it comes from."""
    measured = values.get(indicator.base_year, np.nan)
    if measured is not None and np.isfinite(measured):
        return float(measured), "measured"
    if indicator.base_value is not None:
        return indicator.base_value, "published"
    return None, "unknown"


def _year_rows(indicator: Indicator, values: pd.Series, projected: pd.Series, base: float | None) -> pd.DataFrame:
    years = pd.RangeIndex(indicator.base_year, indicator.target_year + 1, name="year")
    value = values.reindex(years).astype(float)
    path = indicator_path(indicator, base, years) if base is not None else pd.Series(np.nan, index=years)
    cumulative = _change(value, base, indicator.ratio) if base is not None else value * np.nan
    planned = _change(path, base, indicator.ratio) if base is not None else path * np.nan
    previous = value.shift(1)
    change = (value / previous - 1) * 100 if indicator.ratio else value - previous
    better = cumulative <= planned + _ROUNDING_PCT if indicator.lower_is_better else \
        cumulative >= planned - _ROUNDING_PCT
    known = cumulative.notna() & planned.notna()
    flags = projected.reindex(years).fillna(False).astype(bool)
    status = np.select([~value.notna(), flags], ["no data", "projected"], "measured")
    return pd.DataFrame({
        "year": years.to_numpy(), "value": value.to_numpy(), "status": status, "path": path.to_numpy(),
        "change_pct": change.to_numpy(), "cumulative_change_pct": cumulative.to_numpy(),
        "path_cumulative_change_pct": planned.to_numpy(),
        "achieved": [bool(b) if k else None for b, k in zip(better, known, strict=True)],
    })


def assess_indicator(indicator: Indicator, values: pd.Series, projected: pd.Series | None = None) -> dict[str, Any]:
    """The assessment of one indicator over its period: each year against the path, and the end result.

    Parameters
    ----------
    indicator : Indicator
    values : Series
        The measured (or projected) value by year, in the indicator's unit; NaN or absent where unknown.
    projected : Series of bool, optional
        True for the years whose value is projected rather than measured.

    Returns
    -------
    dict
        ``indicator`` (with its rates), ``base_value`` and ``base_source`` (measured, published or unknown),
        ``years`` (per year: value, status measured | projected | no data, path, change_pct,
        cumulative_change_pct, path_cumulative_change_pct, achieved — None where either side is unknown), and
        ``result``: the latest year with a value, its cumulative change, the planned change, ``progress_pct``
        (the share of the planned change achieved: 96 means "achieved 96 % of the planned reduction"),
        ``achieved`` (the target year is reached and on or beyond the target), ``final`` (the latest year is the
        target year), ``projected`` (that value is projected), the required annual change for the open years,
        and a sentence saying it.
    """
    values = pd.Series(values, dtype="float64")
    values.index = values.index.astype(int)
    projected = pd.Series(projected if projected is not None else False, index=values.index, dtype=bool)
    base, base_source = _base(indicator, values)
    rows = _year_rows(indicator, values, projected, base)
    planned = indicator.total_change_pct(base)
    known = rows[rows["status"] != "no data"]
    result: dict[str, Any] = {"year": None, "value": None, "cumulative_change_pct": None, "planned_change_pct":
                              planned, "progress_pct": None, "achieved": None, "final": False, "projected": False,
                              "required_annual_change_pct": None}
    if base is None or known.empty:
        result["summary"] = (f"{indicator.kind}: no value for the base year {indicator.base_year} and no published "
                             "base value: nothing can be assessed" if base is None
                             else f"{indicator.kind}: no data in {indicator.base_year}–{indicator.target_year}")
        return {"indicator": indicator.to_dict(base), "base_value": base, "base_source": base_source,
                "years": rows.to_dict("records"), "result": result}
    last = known.iloc[-1]
    year, cumulative = int(last["year"]), float(last["cumulative_change_pct"])
    progress = cumulative / planned * 100 if planned else None
    final = year == indicator.target_year
    result.update(year=year, value=float(last["value"]), cumulative_change_pct=cumulative, progress_pct=progress,
                  final=final, projected=bool(last["status"] == "projected"),
                  achieved=bool(last["achieved"]) if final and last["achieved"] is not None else None,
                  required_annual_change_pct=required_rate_pct(indicator, base, year, float(last["value"])))
    result["summary"] = _summary(indicator, result)
    return {"indicator": indicator.to_dict(base), "base_value": base, "base_source": base_source,
            "years": rows.to_dict("records"), "result": result}


def _summary(indicator: Indicator, result: Mapping[str, Any]) -> str:
    unit = "%" if indicator.ratio else " percentage points"
    word = "reduction" if (result["planned_change_pct"] or 0) < 0 else "change"
    text = (f"{indicator.kind} {indicator.base_year}–{result['year']}: {result['cumulative_change_pct']:+.2f}{unit} "
            f"against {result['planned_change_pct']:+.2f}{unit} planned by {indicator.target_year}")
    if result["progress_pct"] is not None:
        text += f"; achieved {result['progress_pct']:.0f} % of the planned {word}"
    if result["final"]:
        text += "; target " + ("met" if result["achieved"] else "missed")
    elif result["required_annual_change_pct"] is not None:
        text += f"; {result['required_annual_change_pct']:+.2f} %/yr still required"
    if result["projected"]:
        text += f" ({result['year']} projected)"
    return text


def current_indicator(indicators: Sequence[tuple[str, Indicator]], year: int | None) -> tuple[str, Indicator] | None:
    """The (plan, indicator) whose period holds ``year`` (base_year < year <= target_year), else the newest."""
    if not indicators:
        return None
    if year is not None:
        holding = [item for item in indicators if item[1].base_year < year <= item[1].target_year]
        if holding:
            return max(holding, key=lambda item: item[1].target_year)
    return max(indicators, key=lambda item: item[1].target_year)


def intensity_position(indicators: Sequence[tuple[str, Indicator]], values: pd.Series) -> dict[str, Any]:
    """An intensity by year with its change, its plan's constant-rate path and the change still required.

    Parameters
    ----------
    indicators : sequence of (plan, Indicator)
        The region's indicators of this kind, any plan; the one whose period holds the latest year is used.
    values : Series
        The intensity by year [the kind's unit].

    Returns
    -------
    dict
        ``years`` (year, value, change_pct, path, cumulative_change_pct, on_track), ``plan``, ``indicator``,
        ``path_annual_change_pct``, ``required_annual_change_pct`` and ``notes``.
    """
    values = pd.Series(values, dtype="float64").replace([np.inf, -np.inf], np.nan).dropna()  # no GDP: no value
    values.index = values.index.astype(int)
    previous = values.reindex(values.index - 1).to_numpy()
    change = (values.to_numpy() / previous - 1) * 100
    latest = int(values.index[-1]) if len(values) else None
    chosen = current_indicator(indicators, latest)
    out: dict[str, Any] = {"plan": None, "indicator": None, "path_annual_change_pct": None,
                           "required_annual_change_pct": None, "notes": []}
    path = pd.Series(np.nan, index=values.index)
    on_track: list[bool | None] = [None] * len(values)
    cumulative = pd.Series(np.nan, index=values.index)
    if chosen is None:
        out["notes"].append("no plan of the region has an indicator of this kind: no path")
    else:
        plan, indicator = chosen
        assessed = assess_indicator(indicator, values)
        out.update(plan=plan, indicator=assessed["indicator"],
                   path_annual_change_pct=assessed["indicator"]["annual_change_pct"],
                   required_annual_change_pct=assessed["result"]["required_annual_change_pct"])
        by_year = {row["year"]: row for row in assessed["years"]}
        path = pd.Series([by_year.get(y, {}).get("path", np.nan) for y in values.index], index=values.index)
        cumulative = pd.Series([by_year.get(y, {}).get("cumulative_change_pct", np.nan) for y in values.index],
                               index=values.index)
        on_track = [by_year.get(y, {}).get("achieved") for y in values.index]
        if assessed["base_value"] is None:
            out["notes"].append(f"no value for {indicator.base_year}, the base year of {plan}: no path yet")
    out["years"] = [{"year": int(y), "value": float(v), "change_pct": _finite(c), "path": _finite(p),
                     "cumulative_change_pct": _finite(k), "on_track": t}
                    for y, v, c, p, k, t in zip(values.index, values, change, path, cumulative, on_track,
                                                strict=True)]
    return out


def _finite(value: Any) -> float | None:
    return float(value) if value is not None and np.isfinite(value) else None
