"""Region reports: the inputs every region report reads (years, bottom-up sums) and energy intensity against
the target path, for one region or all of them.

CO2 and the peak status are in :mod:`carbon.reports.emissions`, a year's overview in
:mod:`carbon.reports.overview`."""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.indicators import (
    GdpForecast,
    IndicatorInputError,
    IntensityTarget,
    intensity_table,
)
from carbon.jsonable import jsonable, records
from carbon.reports.cache import (
    cached_by_data_version,
    cached_by_region_version,
    database_key,
    recall,
    remember,
    remembered,
)
from carbon.store import Rows, Store

__all__ = [
    "MissingTarget", "ReportInputs", "bottom_up_years", "intensity_target", "ratio", "region_comparison",
    "region_intensity", "year_reporting", "yearly_intensity",
]


class MissingTarget(IndicatorInputError):
    """The region has no intensity target (base and target year and value) to measure against yet."""


def intensity_target(region: dict[str, Any]) -> IntensityTarget:
    """The region's intensity target from its stored settings.

    Raises
    ------
    MissingTarget
        If a base or target year or value is not set; the message names them.
    """
    needed = ("intensity_base_year", "intensity_base_value", "intensity_target_year", "intensity_target_value")
    missing = [name for name in needed if region.get(name) is None]
    if missing:
        raise MissingTarget(f"region {region['code']} has no intensity target yet ({', '.join(missing)} not set)")
    return IntensityTarget(
        base_year=int(region["intensity_base_year"]), base_value=float(region["intensity_base_value"]),
        target_year=int(region["intensity_target_year"]), target_value=float(region["intensity_target_value"]),
        deduct_feedstock=bool(region.get("deduct_feedstock")),
        deduct_new_renewables=bool(region.get("deduct_new_renewables")))


def year_reporting(store: Store, region: str) -> pd.DataFrame:
    """Per year of a region (columns ``year``, ``months``, ``enterprises``): the months and the enterprises with
    reports."""
    return _counts_frame(_year_counts(store, region))


def _counts_frame(counts: Rows) -> pd.DataFrame:
    """Counts per year as a frame of integers (without rows, a frame with the column names only)."""
    if not counts.values:
        return pd.DataFrame(columns=list(counts.columns))
    return counts.frame().astype(np.int64)


def _year_counts(store: Store, region: str, years: Collection[int] | None = None) -> Rows:
    """:func:`year_reporting` as plain rows, ordered by year; of these years only, if given."""
    months = [(int(year), int(count)) for year, count in store.region_year_months(region, years).values]
    counts = store.region_year_enterprises(region, [year for year, _ in months])
    return Rows(("year", "months", "enterprises"), tuple((year, count, counts[year]) for year, count in months))


def _with_years(rows: Rows, years: Collection[int], fresh: Rows) -> Rows:
    """``rows`` (ordered by year first) with the rows of these years replaced by ``fresh`` (read for them alone):
    what one query over every year would give."""
    kept = [row for row in rows.values if row[0] not in years]
    return Rows(rows.columns, tuple(sorted([*kept, *fresh.values], key=lambda row: row[0])))  # stable: keeps order


def bottom_up_years(store: Store, region: str) -> pd.DataFrame:
    """Enterprise data summed per year: tce, feedstock, renewables, CO2, months and enterprises reporting.

    Only complete years (all twelve months reported by someone) are usable as annual totals; ``complete`` says
    which.
    """
    return _bottom_up_frame(store.region_year_summary(region), year_reporting(store, region))


def _bottom_up_frame(parts: pd.DataFrame, counts: pd.DataFrame) -> pd.DataFrame:
    """:func:`bottom_up_years` from the region's sums per year, carrier and purpose and its counts per year."""
    if parts.empty:
        return pd.DataFrame(columns=["bottom_up_tce", "bottom_up_feedstock_tce", "bottom_up_renewable_tce",
                                     "bottom_up_co2_t", "months", "enterprises", "complete"])
    total = parts.groupby("year")[["tce_equivalent", "co2_t"]].sum()
    feedstock = parts[parts["purpose"] == "feedstock"].groupby("year")["tce_equivalent"].sum()
    renewable = parts[parts["carrier"] == "electricity_renewable"].groupby("year")["tce_equivalent"].sum()
    counts = counts.set_index("year")
    frame = pd.DataFrame({
        "bottom_up_tce": total["tce_equivalent"], "bottom_up_co2_t": total["co2_t"],
        "bottom_up_feedstock_tce": feedstock, "bottom_up_renewable_tce": renewable,
        "months": counts["months"], "enterprises": counts["enterprises"],
    }).fillna({"bottom_up_feedstock_tce": 0.0, "bottom_up_renewable_tce": 0.0})
    frame["complete"] = frame["months"] == 12
    frame.index.name = "year"
    return frame


def ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Element-wise quotient as floats, NaN where the denominator is zero or missing (never an error)."""
    top = pd.to_numeric(numerator, errors="coerce").astype(float)
    bottom = pd.to_numeric(denominator, errors="coerce").astype(float)
    return (top / bottom.where(bottom != 0)).replace([np.inf, -np.inf], np.nan)


def _region_years(store: Store, code: str) -> pd.DataFrame:
    """Official statistics beside bottom-up totals, per year, and the figures the indicators use.

    The official total is used where given; a complete bottom-up year stands in where it is not (and says so).
    """
    return _years_frame(store.statistics(code), bottom_up_years(store, code))


def _years_frame(stats: pd.DataFrame, bottom: pd.DataFrame) -> pd.DataFrame:
    """:func:`_region_years` from the region's statistics and its bottom-up years."""
    years = sorted(set(stats.index) | set(bottom.index))
    frame = pd.DataFrame(index=pd.Index(years, name="year"))
    for column in ("gdp_current", "gdp_constant", "energy_total_tce", "feedstock_tce", "renewable_tce",
                   "co2_total_t"):
        frame[column] = pd.to_numeric(stats.get(column, np.nan), errors="coerce")
    frame = frame.astype(float)
    frame = frame.join(bottom)
    usable = frame.get("complete", pd.Series(False, index=frame.index)).fillna(False).astype(bool)
    official = frame["energy_total_tce"].notna()
    frame["energy_source"] = np.where(official, "official", np.where(usable, "bottom_up", None))
    frame["energy_tce"] = frame["energy_total_tce"].where(official, frame["bottom_up_tce"].where(usable))
    frame["feedstock_tce"] = frame["feedstock_tce"].where(frame["feedstock_tce"].notna(),
                                                          frame["bottom_up_feedstock_tce"].where(usable))
    frame["renewable_tce"] = frame["renewable_tce"].where(frame["renewable_tce"].notna(),
                                                          frame["bottom_up_renewable_tce"].where(usable))
    frame["coverage_pct"] = ratio(frame["bottom_up_tce"], frame["energy_total_tce"]) * 100.0
    # Without an official CO2 total, the enterprises' CO2 per tce is applied to the official energy total (the
    # uncovered part is assumed to burn the same mix); without that either, the bottom-up sum stands alone.
    co2_official = frame["co2_total_t"].notna()
    scaled = ratio(frame["bottom_up_co2_t"], frame["bottom_up_tce"]) * frame["energy_total_tce"].astype(float)
    can_scale = ~co2_official & official & usable & scaled.notna()
    frame["co2_source"] = np.select([co2_official, can_scale, usable], ["official", "estimated", "bottom_up"], None)
    frame["co2_t"] = np.select([co2_official, can_scale, usable],
                               [frame["co2_total_t"], scaled, frame["bottom_up_co2_t"]], np.nan)
    return frame


@dataclass(frozen=True)
class ReportInputs:
    """What a region's intensity and CO2 reports are made from, read from the maintained summaries.

    ``parts`` (tce and CO2 per year, carrier and purpose) and ``counts`` (months and enterprises per year) cover
    every year; :attr:`key` and :meth:`years` only the years a report can show — those with official statistics,
    the complete bottom-up years and the target's path. A batch for another year (an incomplete one without
    statistics) leaves the key, and so the computed report, as it was. The inputs are read as plain rows and the
    key made from them: frames are built only when a report is made anew.
    """

    region: dict[str, Any]
    statistics_rows: Rows
    part_rows: Rows
    count_rows: Rows

    @classmethod
    def read(cls, store: Store, code: str) -> ReportInputs:
        """The region's row, statistics, bottom-up sums and counts, read once per version of the region's data for
        all the reports made from them. After batches that changed some years' rows only (the usual case), only
        those years are read again; after any other change, everything (a few small queries)."""
        database = database_key(store)
        if database is None:
            return cls._query(store, code)
        versions = store.region_year_versions(code)  # before the data: what is read is at least this new
        last = recall(("report_inputs", database, code))
        if last is None or last[0][:2] != versions[:2]:
            inputs = cls._query(store, code)
        elif last[0] == versions:
            return last[1]
        else:
            before, inputs = last[0][2], last[1]
            inputs = inputs._reread(store, {year for year, version in versions[2].items()
                                            if before.get(year) != version})
        return remember(("report_inputs", database, code), (versions, inputs))[1]

    @classmethod
    def _query(cls, store: Store, code: str) -> ReportInputs:
        return cls(store.get_region(code), store.statistics_rows(code), store.region_year_summary_rows(code),
                   _year_counts(store, code))

    def _reread(self, store: Store, years: set[int]) -> ReportInputs:
        """These inputs with the bottom-up sums and counts of these years read again."""
        code = self.region["code"]
        return ReportInputs(self.region, self.statistics_rows,
                            _with_years(self.part_rows, years, store.region_year_summary_rows(code, years)),
                            _with_years(self.count_rows, years, _year_counts(store, code, years)))

    @functools.cached_property
    def stats(self) -> pd.DataFrame:
        """The region's statistics by year (index ``year``)."""
        return self.statistics_rows.frame(index="year")

    @functools.cached_property
    def parts(self) -> pd.DataFrame:
        """tce and CO2 per year, carrier and purpose, every year."""
        return self.part_rows.frame()

    @functools.cached_property
    def counts(self) -> pd.DataFrame:
        """Months and enterprises with reports per year, every year."""
        return _counts_frame(self.count_rows)

    @functools.cached_property
    def shown_years(self) -> frozenset[int]:
        """The years a report can show: official statistics, complete bottom-up years, the target's path."""
        at = self.statistics_rows.columns.index("year")
        years = {int(row[at]) for row in self.statistics_rows.values}
        years |= {int(year) for year, months, _ in self.count_rows.values if months == 12}
        base, target = self.region.get("intensity_base_year"), self.region.get("intensity_target_year")
        if base is not None and target is not None:
            years |= set(range(int(base), int(target) + 1))
        return frozenset(years)

    @functools.cached_property
    def shown(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """``parts`` and ``counts`` of the years a report can show (re-indexed from 0)."""
        years = self.shown_years
        parts = self.parts[self.parts["year"].isin(years)] if len(self.parts) else self.parts
        counts = self.counts[self.counts["year"].isin(years)] if len(self.counts) else self.counts
        return parts.reset_index(drop=True), counts.reset_index(drop=True)

    @functools.cached_property
    def key(self) -> tuple[Any, ...]:
        """Everything the reports computed from these inputs depend on, exactly (see :func:`remembered`): floats
        by their hex form, so that -0.0 and 0.0 count as different and a NaN as equal to itself."""
        return (tuple(self.region.items()), _exact(self.statistics_rows.values),
                _exact(row for row in self.part_rows.values if row[0] in self.shown_years),
                _exact(row for row in self.count_rows.values if row[0] in self.shown_years))

    def years(self) -> pd.DataFrame:
        """:func:`_region_years` over the years a report can show (made once for both reports: read-only)."""
        return remembered(("region_years", self.key), lambda: _years_frame(self.stats, _bottom_up_frame(*self.shown)))


def _exact(rows: Iterable[tuple[Any, ...]]) -> tuple[tuple[Any, ...], ...]:
    """Rows with each float as its hex form (exact, NaN equal to itself) and its type beside every value."""
    return tuple(tuple((type(value).__name__, value.hex() if isinstance(value, float) else value) for value in row)
                 for row in rows)


@cached_by_region_version
def region_intensity(store: Store, code: str, *, gdp_growth_pct: float | None = None,
                     gdp_forecast: float | None = None) -> dict[str, Any]:
    """Energy intensity per year against the region's target path, with what is still required.

    Parameters
    ----------
    gdp_growth_pct, gdp_forecast : float, optional
        Real GDP growth [%] or constant-price GDP [万元] of the next open year, for its energy budget.
    """
    inputs = ReportInputs.read(store, code)
    return remembered(("region_intensity", inputs.key, gdp_growth_pct, gdp_forecast),
                      lambda: _intensity_report(inputs, gdp_growth_pct, gdp_forecast))


def _intensity_report(inputs: ReportInputs, gdp_growth_pct: float | None,
                      gdp_forecast: float | None) -> dict[str, Any]:
    """:func:`region_intensity` from its inputs (pure)."""
    region, code = inputs.region, inputs.region["code"]
    years = inputs.years()
    try:
        target = intensity_target(region)
    except MissingTarget as missing:
        return _intensity_without_target(region, years, str(missing))
    forecast = None
    if gdp_forecast is not None or gdp_growth_pct is not None:
        forecast = GdpForecast(gdp_constant=gdp_forecast, growth_pct=gdp_growth_pct)
    stats = years[["energy_tce", "gdp_constant", "feedstock_tce", "renewable_tce"]]
    report = intensity_table(stats.dropna(how="all"), target, gdp_forecast=forecast).to_dict()
    extra = years[["energy_source", "bottom_up_tce", "coverage_pct", "months", "enterprises", "gdp_current"]]
    by_year = {int(year): row for year, row in zip(extra.index, records(extra.reset_index(drop=True)),
                                                    strict=True)}
    for row in report["years"]:
        row.update(by_year.get(int(row["year"]), {}))
    return jsonable({"region": code, "name": region["name"], **report})


# The fields of an intensity report that only a target gives, null without one.
_TARGET_ONLY = ("base_intensity_adjusted", "target_equivalent_value", "path_annual_change_pct",
                "required_annual_change_pct", "projected_target_value", "projected_on_track", "budget_year",
                "budget_gdp_constant", "energy_budget_adjusted_tce", "energy_budget_tce", "budget_assumption")


def yearly_intensity(years: pd.DataFrame) -> pd.DataFrame:
    """Energy intensity [tce/万元] per year with its annual and cumulative change [%], no target needed.

    The annual change r_y = I_y / I_(y-1) - 1 is given for consecutive years only; the cumulative change runs from
    the first year with both energy and GDP, Π(1 + r) - 1 = I_y / I_first - 1 (FACTS §4).
    """
    energy, gdp = years["energy_tce"].astype(float), years["gdp_constant"].astype(float)
    intensity = ratio(energy, gdp)
    known = intensity.dropna()
    previous = intensity.shift(1).where(pd.Series(years.index, index=years.index).diff() == 1)
    change = (intensity / previous - 1) * 100
    first = known.iloc[0] if len(known) else np.nan
    return pd.DataFrame({"energy_tce": energy, "gdp_constant": gdp, "intensity": intensity, "change_pct": change,
                         "cumulative_change_pct": (intensity / first - 1) * 100}, index=years.index)


def _intensity_without_target(region: dict[str, Any], years: pd.DataFrame, reason: str) -> dict[str, Any]:
    """The intensity series and yearly changes of a region with statistics but no target: target fields null.

    No deduction is applied: feedstock and new renewables are deducted against the target's base year.
    """
    table = yearly_intensity(years)
    table = table[table["energy_tce"].notna() | table["gdp_constant"].notna()]
    extra = years.loc[table.index, ["energy_source", "bottom_up_tce", "coverage_pct", "months", "enterprises",
                                    "gdp_current"]]
    rows = []
    for (year, row), more in zip(table.iterrows(), records(extra.reset_index(drop=True)), strict=True):
        rows.append({"year": int(year), "energy_tce": row["energy_tce"], "feedstock_deducted_tce": None,
                     "renewables_deducted_tce": None, "energy_adjusted_tce": row["energy_tce"],
                     "gdp_constant": row["gdp_constant"], "intensity": row["intensity"],
                     "intensity_adjusted": row["intensity"], "change_pct_raw": row["change_pct"],
                     "change_pct": row["change_pct"], "cumulative_change_pct_raw": row["cumulative_change_pct"],
                     "cumulative_change_pct": row["cumulative_change_pct"], "target_path": None,
                     "target_cumulative_change_pct": None, "on_track": None, **more})
    known = table["intensity"].dropna()
    return jsonable({
        "region": region["code"], "name": region["name"], "target": None, "unit": "tce/万元", "years": rows,
        "on_track_rule": "no target: on_track is not assessed", "trend_rule": "no target: no projection",
        "on_track_basis": None, "latest_year": int(known.index[-1]) if len(known) else None,
        "latest_intensity_adjusted": float(known.iloc[-1]) if len(known) else None, "open_years": [],
        "trend_annual_change_pct": None, "trend_years": [], **dict.fromkeys(_TARGET_ONLY),
        "notes": [f"{reason}: the series and yearly changes are given without a path; no deduction applied "
                  "(feedstock and new renewables are deducted against a target's base year)"],
    })


@cached_by_data_version
def region_comparison(store: Store, year: int | None = None) -> dict[str, Any]:
    """Every region's energy intensity, its change and its CO2 for one year, with or without a target.

    Parameters
    ----------
    year : int, optional
        The year compared; by default the latest year for which some region has energy and GDP.

    Returns
    -------
    dict
        ``year`` and ``regions``: per region its energy [tce], GDP [万元], intensity [tce/万元], change on the
        previous year [%], CO2 [t] and CO2 per GDP [t/万元], and its target (year and value) or null.
    """
    tables: dict[str, tuple[dict[str, Any], pd.DataFrame]] = {}
    for region in store.list_regions():
        years = _region_years(store, region["code"])
        tables[region["code"]] = (region, yearly_intensity(years).join(years[["co2_t", "energy_source"]]))
    if year is None:
        known = [int(t.index[t["intensity"].notna()].max()) for _, t in tables.values() if t["intensity"].notna().any()]
        year = max(known) if known else None
    rows = []
    for code, (region, table) in tables.items():
        row = records(table.loc[[year]].reset_index(drop=True))[0] if year in table.index else {}
        co2, gdp = row.get("co2_t"), row.get("gdp_constant")
        rows.append({
            "region": code, "name": region["name"], "energy_tce": row.get("energy_tce"), "gdp_constant": gdp,
            "intensity": row.get("intensity"), "change_pct": row.get("change_pct"), "co2_t": co2,
            "co2_per_gdp": co2 / gdp if co2 is not None and gdp else None, "energy_source": row.get("energy_source"),
            "target_year": region.get("intensity_target_year"), "target_value": region.get("intensity_target_value"),
        })
    rows.sort(key=lambda r: (r["intensity"] is None, r["intensity"] if r["intensity"] is not None else 0.0))
    return jsonable({"year": year, "unit": "tce/万元", "regions": rows})
