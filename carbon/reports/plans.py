"""Plans of a region, their assessment (考核) year by year, and the region's position under a plan's indicator.

The values assessed are the region's report figures: energy and CO2 totals and CO2 per GDP as in the carbon
report, energy intensity as in the intensity report (adjusted by the region's deductions when it has an intensity
target, raw otherwise). A latest year that is not complete is projected from its complete months (see
:func:`region_values`) and marked so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import InvalidInput
from carbon.indicators import IndicatorInputError
from carbon.indicators.plans import INDICATOR_KINDS, Indicator, assess_indicator, intensity_position
from carbon.jsonable import jsonable
from carbon.reports.cache import cached_by_data_version
from carbon.reports.emissions import region_carbon
from carbon.reports.plan_targets import region_indicators, region_plan
from carbon.reports.region import bottom_up_years, region_intensity
from carbon.store import Scope, Store
from carbon.store.plans import INDICATOR_COLUMNS

__all__ = [
    "GROWTH_YEARS", "assessment_frames", "carbon_position", "plan_assessment", "recent_growth_pct", "region_values",
]

COMPLETE_SHARE = 0.98  # a month counts as complete with this share of the year's most reporting enterprises
GROWTH_YEARS = 3  # real GDP growth assumed for a projected year: the geometric mean of at most this many years


# -- values per year ----------------------------------------------------------------------------------------


def recent_growth_pct(gdp: pd.Series) -> float | None:
    """Geometric mean of the real GDP growth of the last ``GROWTH_YEARS`` consecutive years [%/yr]."""
    gdp = gdp.dropna()
    growth = (gdp / gdp.reindex(gdp.index - 1).to_numpy() - 1).dropna().tail(GROWTH_YEARS)
    if growth.empty:
        return None
    return (float(np.prod(1 + growth.to_numpy())) ** (1 / len(growth)) - 1) * 100


def _complete_month_ratio(store: Store, code: str, year: int) -> tuple[float, float, list[str]] | None:
    """tce and CO2 of ``year``'s complete months over the same months a year earlier, and those months.

    A month is complete when at least ``COMPLETE_SHARE`` of the most enterprises reporting in any month of the
    year reported in it (a few enterprises come and go; a month with many reports missing is left out).
    """
    months = store.consumption_totals(Scope.everything(), by=["period"], region=code, start=f"{year - 1}-01",
                                      end=f"{year}-12")
    if months.empty:
        return None
    months["year"] = months["period"].str[:4].astype(int)
    this = months[months["year"] == year]
    complete = this[this["enterprises"] >= COMPLETE_SHARE * this["enterprises"].max()]
    earlier = months[months["period"].isin([f"{year - 1}{p[4:]}" for p in complete["period"]])]
    if complete.empty or len(earlier) != len(complete) or earlier["tce_equivalent"].sum() <= 0:
        return None
    return (float(complete["tce_equivalent"].sum() / earlier["tce_equivalent"].sum()),
            float(complete["co2_t"].sum() / earlier["co2_t"].sum()), list(complete["period"]))


def _intensity_years(store: Store, code: str, notes: list[str]) -> pd.DataFrame:
    """Energy, GDP and energy intensity by year as the intensity report gives them (empty without a target)."""
    try:
        report = region_intensity(store, code)
    except IndicatorInputError:
        notes.append("energy intensity: raw (the region has no intensity target, hence no deduction settings)")
        return pd.DataFrame(columns=["energy_tce", "gdp_constant", "intensity_adjusted"],
                            index=pd.Index([], name="year"), dtype=float)
    notes.append("energy intensity: adjusted by the region's deductions, as in the intensity report")
    # named columns: a region without data has no years, and an empty frame would have no columns either
    columns = ["year", "energy_tce", "gdp_constant", "intensity_adjusted"]
    return pd.DataFrame(report["years"], columns=columns).set_index("year").astype(float)


def _project_year(store: Store, code: str, values: pd.DataFrame, notes: list[str]) -> pd.DataFrame:
    """The values with the latest incomplete year filled in from its complete months (marked ``projected``)."""
    bottom = bottom_up_years(store, code)
    if bottom.empty:
        return values
    year = int(bottom.index.max())
    if bool(bottom.loc[year, "complete"]) or year - 1 not in values.index or \
            (year in values.index and values.loc[year, ["energy_total", "co2_total"]].notna().all()):
        return values
    ratio = _complete_month_ratio(store, code, year)
    previous = values.loc[year - 1]
    if ratio is None or pd.isna(previous["gdp_constant"]):
        notes.append(f"{year} is incomplete and cannot be projected (no complete month with a month a year "
                     "earlier to compare, or no GDP of the year before)")
        return values
    values = values.reindex(values.index.union([year]))
    values["projected"] = values["projected"].astype("boolean").fillna(False).astype(bool)
    energy_ratio, co2_ratio, months = ratio
    growth = recent_growth_pct(values["gdp_constant"])
    stated = values["gdp_constant"].get(year, np.nan)
    gdp = float(stated) if pd.notna(stated) else previous["gdp_constant"] * (1 + (growth or 0) / 100)
    gdp_factor = gdp / previous["gdp_constant"]
    values.loc[year, "energy_total"] = previous["energy_total"] * energy_ratio
    values.loc[year, "co2_total"] = previous["co2_total"] * co2_ratio
    values.loc[year, "gdp_constant"] = gdp
    values.loc[year, "co2_intensity"] = values.loc[year, "co2_total"] / gdp
    values.loc[year, "energy_intensity"] = previous["energy_intensity"] * energy_ratio / gdp_factor
    values.loc[year, "projected"] = True
    gdp_basis = "as stated" if pd.notna(stated) else f"{year - 1}'s at {growth or 0:+.2f} %/yr (recent real growth)"
    notes.append(f"{year} projected: {year - 1}'s totals x the change of its complete months ({months[0]} to "
                 f"{months[-1]}, {len(months)} months) over the same months of {year - 1} (energy "
                 f"{(energy_ratio - 1) * 100:+.2f} %, CO2 {(co2_ratio - 1) * 100:+.2f} %); GDP {gdp_basis}")
    return values


def region_values(store: Store, code: str) -> tuple[pd.DataFrame, list[str]]:
    """The value of every indicator kind by year, with a ``projected`` flag, and notes on how they were made.

    Returns
    -------
    (DataFrame, list of str)
        Indexed by year: ``energy_intensity`` [tce/万元], ``co2_intensity`` [t CO2/万元], ``energy_total`` [tce],
        ``co2_total`` [t CO2], ``non_fossil_share`` [%] (not in the region's statistics: NaN), ``gdp_constant``
        [万元], ``projected``.
    """
    notes: list[str] = []
    carbon = pd.DataFrame(region_carbon(store, code)["years"])
    frame = carbon.set_index("year")[["energy_tce", "co2_t", "gdp_constant", "co2_per_gdp"]].astype(float) \
        if len(carbon) else pd.DataFrame(columns=["energy_tce", "co2_t", "gdp_constant", "co2_per_gdp"],
                                         index=pd.Index([], name="year"), dtype=float)
    intensity = _intensity_years(store, code, notes)
    years = frame.index.union(intensity.index[intensity["energy_tce"].notna()]).astype(int)
    values = pd.DataFrame(index=pd.Index(years, name="year"))
    values["energy_total"] = frame["energy_tce"].combine_first(intensity["energy_tce"]).reindex(years)
    values["co2_total"] = frame["co2_t"].reindex(years)
    values["gdp_constant"] = frame["gdp_constant"].combine_first(intensity["gdp_constant"]).reindex(years)
    values["co2_intensity"] = frame["co2_per_gdp"].reindex(years)
    adjusted = intensity["intensity_adjusted"].reindex(years)
    values["energy_intensity"] = adjusted if adjusted.notna().any() else \
        values["energy_total"] / values["gdp_constant"]
    values["non_fossil_share"] = np.nan
    values["projected"] = False
    values = _project_year(store, code, values, notes)
    notes.append("non-fossil share: not in the region's statistics, so no year has data")
    values = values.sort_index()
    values["projected"] = values["projected"].fillna(False).astype(bool)
    return values, notes


# -- assessment and position --------------------------------------------------------------------------------


@cached_by_data_version
def plan_assessment(store: Store, code: str, plan: str) -> dict[str, Any]:
    """The assessment of a plan: every indicator year by year against its path, and its end result.

    Returns
    -------
    dict
        ``region``, ``name``, ``plan``, ``indicators`` (see :func:`carbon.indicators.plans.assess_indicator`),
        ``summary`` (one sentence per indicator) and ``notes``.
    """
    region = store.get_region(code)
    rows = region_plan(store, code, plan)["indicators"]
    values, notes = region_values(store, code)
    assessed = []
    for row in rows:
        indicator = Indicator.from_dict({c: row[c] for c in INDICATOR_COLUMNS})
        assessed.append(assess_indicator(indicator, values[indicator.kind], values["projected"]))
    return jsonable({"region": code, "name": region["name"], "plan": plan, "indicators": assessed,
                     "summary": [item["result"]["summary"] for item in assessed], "notes": notes})


@cached_by_data_version
def carbon_position(store: Store, code: str, kind: str = "co2_intensity") -> dict[str, Any]:
    """An intensity by year (a projected latest year included) on the path of the plan in force."""
    if kind not in INDICATOR_KINDS:
        raise InvalidInput(f"unknown indicator kind {kind!r}; kinds: {', '.join(INDICATOR_KINDS)}")
    values, notes = region_values(store, code)
    position = intensity_position(region_indicators(store, code, kind=kind), values[kind])
    projected = set(values.index[values["projected"]])
    for row in position["years"]:
        row["projected"] = row["year"] in projected
    return jsonable({"region": code, "kind": kind, **position, "notes": [*position["notes"], *notes]})


def assessment_frames(report: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The assessment in the layout of an assessment table: a summary sheet and one row per indicator-year."""
    summary = pd.DataFrame([{
        "plan": report["plan"], "indicator": item["indicator"]["kind"], "unit": item["indicator"]["unit"],
        "binding": item["indicator"]["binding"], "base_year": item["indicator"]["base_year"],
        "target_year": item["indicator"]["target_year"], "base_value": item["base_value"],
        "planned_change_pct": item["result"]["planned_change_pct"], "latest_year": item["result"]["year"],
        "latest_value": item["result"]["value"], "cumulative_change_pct": item["result"]["cumulative_change_pct"],
        "progress_pct": item["result"]["progress_pct"], "achieved": item["result"]["achieved"],
        "projected": item["result"]["projected"], "source": item["indicator"]["source"],
        "summary": item["result"]["summary"],
    } for item in report["indicators"]])
    years = pd.DataFrame([{"indicator": item["indicator"]["kind"], **row}
                          for item in report["indicators"] for row in item["years"]])
    notes = pd.DataFrame({"note": report.get("notes", [])})
    return {"assessment": summary, "by_year": years, "notes": notes}
