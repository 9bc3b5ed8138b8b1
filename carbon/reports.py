"""Reports: store queries combined with the pure indicators, ready for the API, the CLI and the dashboard.

Each function reads what it needs through the store (scoped by the caller) and returns plain dictionaries
whose numbers come from :mod:`carbon.indicators`; no arithmetic lives in the HTTP or CLI layers.
"""

from __future__ import annotations

import functools
import os
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from carbon.carriers import get_carrier
from carbon.compliance import coverage, energy_per_output, quota_status
from carbon.errors import CarbonError
from carbon.indicators import (
    GdpForecast,
    IndicatorInputError,
    IntensityTarget,
    co2_intensity,
    intensity_table,
    lmdi_decomposition,
    peak_status,
)
from carbon.jsonable import jsonable, plain, records
from carbon.store import Scope, Store
from carbon.units import Q_

__all__ = [
    "bottom_up_years", "enterprise_compliance", "enterprise_energy", "enterprise_metrics", "enterprise_telemetry",
    "intensity_target",
    "region_carbon", "region_intensity", "region_overview",
]

REPORT_DEADLINE_DAY = 15  # monthly reports are due by this day of the following month

_BY = {"month": ["period"], "year": ["year"], "carrier": ["carrier"], "month_carrier": ["period", "carrier"]}
_SUMS = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")


_CACHE: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
_CACHE_SIZE = 128
_CACHE_LOCK = threading.Lock()


def cached_by_data_version(function: Callable[..., Any]) -> Callable[..., Any]:
    """Reuse a report while the database's data version stands still (it moves on every committed write).

    Reports are read-only results: callers must not mutate what they get. In-memory databases are not cached.
    """

    @functools.wraps(function)
    def wrapper(store: Store, *args: Any, **kwargs: Any) -> Any:
        if store.path == ":memory:":
            return function(store, *args, **kwargs)
        key = (function.__name__, os.path.realpath(store.path), store.data_version(), args,
               tuple(sorted(kwargs.items())))
        with _CACHE_LOCK:
            if key in _CACHE:
                _CACHE.move_to_end(key)
                return _CACHE[key]
        result = function(store, *args, **kwargs)
        with _CACHE_LOCK:
            _CACHE[key] = result
            while len(_CACHE) > _CACHE_SIZE:
                _CACHE.popitem(last=False)
        return result

    return wrapper


def enterprise_energy(store: Store, scope: Scope, enterprise_id: str, *, by: str = "month",
                      start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """Energy [GJ], tce on both bases and CO2 [t] of one enterprise, grouped by month, year or carrier."""
    if by not in _BY:
        raise ValueError(f"by must be one of {', '.join(_BY)}")
    totals = store.consumption_totals(scope, by=_BY[by], enterprise_id=enterprise_id, start=start, end=end)
    rows = [{"key": {name: plain(row[name]) for name in _BY[by]},
             **{name: float(row[name] or 0.0) for name in _SUMS}, "rows": int(row["rows"])}
            for row in totals.to_dict("records")]
    if "carrier" in _BY[by]:
        for row in rows:
            row["key"]["carrier_zh"] = get_carrier(row["key"]["carrier"]).name_zh
    total = None
    if rows:
        total = {"key": {}, **{name: float(totals[name].sum()) for name in _SUMS}, "rows": int(totals["rows"].sum())}
    return {"enterprise_id": enterprise_id, "by": by, "start": start, "end": end, "rows": rows, "total": total}


# -- regions ------------------------------------------------------------------------------------------------

def intensity_target(region: dict[str, Any]) -> IntensityTarget:
    """The region's intensity target from its stored settings."""
    needed = ("intensity_base_year", "intensity_base_value", "intensity_target_year", "intensity_target_value")
    missing = [name for name in needed if region.get(name) is None]
    if missing:
        raise IndicatorInputError(f"region {region['code']} has no intensity target yet ({', '.join(missing)}); "
                                  "set it with POST /v1/regions (targets) or carbon region add --base-year ...")
    return IntensityTarget(
        base_year=int(region["intensity_base_year"]), base_value=float(region["intensity_base_value"]),
        target_year=int(region["intensity_target_year"]), target_value=float(region["intensity_target_value"]),
        deduct_feedstock=bool(region.get("deduct_feedstock")),
        deduct_new_renewables=bool(region.get("deduct_new_renewables")))


def bottom_up_years(store: Store, region: str) -> pd.DataFrame:
    """Enterprise data summed per year: tce, feedstock, renewables, CO2, months and enterprises reporting.

    Only complete years (all twelve months reported by someone) are usable as annual totals; ``complete`` says
    which.
    """
    parts = store.region_year_summary(region)
    counts = store.region_year_counts(region)
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


def _ratio(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Element-wise quotient as floats, NaN where the denominator is zero or missing (never an error)."""
    top = pd.to_numeric(numerator, errors="coerce").astype(float)
    bottom = pd.to_numeric(denominator, errors="coerce").astype(float)
    return (top / bottom.where(bottom != 0)).replace([np.inf, -np.inf], np.nan)


def _region_years(store: Store, code: str) -> pd.DataFrame:
    """Official statistics beside bottom-up totals, per year, and the figures the indicators use.

    The official total is used where given; a complete bottom-up year stands in where it is not (and says so).
    """
    stats = store.statistics(code)
    bottom = bottom_up_years(store, code)
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
    frame["coverage_pct"] = _ratio(frame["bottom_up_tce"], frame["energy_total_tce"]) * 100.0
    # Without an official CO2 total, the enterprises' CO2 per tce is applied to the official energy total (the
    # uncovered part is assumed to burn the same mix); without that either, the bottom-up sum stands alone.
    co2_official = frame["co2_total_t"].notna()
    scaled = _ratio(frame["bottom_up_co2_t"], frame["bottom_up_tce"]) * frame["energy_total_tce"].astype(float)
    can_scale = ~co2_official & official & usable & scaled.notna()
    frame["co2_source"] = np.select([co2_official, can_scale, usable], ["official", "estimated", "bottom_up"], None)
    frame["co2_t"] = np.select([co2_official, can_scale, usable],
                               [frame["co2_total_t"], scaled, frame["bottom_up_co2_t"]], np.nan)
    return frame


@cached_by_data_version
def region_intensity(store: Store, code: str, *, gdp_growth_pct: float | None = None,
                     gdp_forecast: float | None = None) -> dict[str, Any]:
    """Energy intensity per year against the region's target path, with what is still required.

    Parameters
    ----------
    gdp_growth_pct, gdp_forecast : float, optional
        Real GDP growth [%] or constant-price GDP [万元] of the next open year, for its energy budget.
    """
    region = store.get_region(code)
    target = intensity_target(region)
    years = _region_years(store, code)
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


@cached_by_data_version
def region_carbon(store: Store, code: str) -> dict[str, Any]:
    """CO2 per year (official where given, else bottom-up), CO2 per GDP, peak status and LMDI decomposition."""
    region = store.get_region(code)
    years = _region_years(store, code)
    known = years[years["co2_t"].notna()]
    emissions = known["co2_t"]
    rows = pd.DataFrame({
        "year": known.index, "co2_t": emissions.to_numpy(), "source": known["co2_source"].to_numpy(),
        "bottom_up_co2_t": known["bottom_up_co2_t"].to_numpy(), "coverage_pct": known["coverage_pct"].to_numpy(),
        "energy_tce": known["energy_tce"].to_numpy(), "gdp_constant": known["gdp_constant"].to_numpy(),
        "co2_per_gdp": co2_intensity(emissions, known["gdp_constant"]).to_numpy()
        if len(known) else np.array([], dtype=float),
        "co2_per_tce": _ratio(emissions, known["energy_tce"]).to_numpy(),
    })
    peak = peak_status(emissions, aim_year=region.get("peak_aim_year"))
    decomposition_input = known[["co2_t", "energy_tce", "gdp_constant"]].dropna()
    decomposition = lmdi_decomposition(decomposition_input) if len(decomposition_input) >= 2 else pd.DataFrame()
    summary = store.region_year_summary(code)
    carriers = (summary.groupby(["year", "carrier"], as_index=False)[["co2_t", "tce_equivalent"]].sum()
                if len(summary) else summary)
    return jsonable({
        "region": code, "name": region["name"], "unit": "t CO2", "years": records(rows),
        "sources": {"official": "the region's official CO2 total", "estimated": "enterprises' CO2 per tce applied "
                    "to the official energy total", "bottom_up": "sum of the enterprises' reported CO2 (complete "
                    "years only)"},
        "peak": peak.to_dict(), "decomposition": records(decomposition),
        "by_carrier": records(carriers[["year", "carrier", "co2_t", "tce_equivalent"]]) if len(carriers) else [],
    })


def _deadline(period: str) -> str:
    year, month = int(period[:4]), int(period[5:7]) + 1
    if month > 12:
        year, month = year + 1, 1
    return f"{year:04d}-{month:02d}-{REPORT_DEADLINE_DAY:02d}"


def report_completeness(reported: pd.DataFrame, *, year: int) -> dict[str, Any]:
    """Reports expected, received, late and missing per month of a year.

    An enterprise is expected to report every month from its first report on; a report is late when it arrived
    after day 15 of the following month; months after the newest month anyone reported are not counted yet.
    """
    empty = {"enterprises": 0, "expected": 0, "received": 0, "late": 0, "missing": 0, "by_month": []}
    if reported.empty:
        return empty
    frontier = str(reported["period"].max())
    first = reported.groupby("enterprise_id")["period"].min()
    months = [m for m in (f"{year:04d}-{k:02d}" for k in range(1, 13)) if m <= frontier]
    this_year = reported[reported["period"].str.startswith(f"{year:04d}-")]
    by_month = []
    for month in months:
        rows = this_year[this_year["period"] == month]
        expected = int((first <= month).sum())
        submitted = rows["submitted_at"].fillna("").astype(str).str[:10]
        late = int((submitted > _deadline(month)).sum())
        by_month.append({"period": month, "expected": expected, "received": len(rows), "late": late,
                         "missing": max(expected - len(rows), 0)})
    totals = {key: sum(m[key] for m in by_month) for key in ("expected", "received", "late", "missing")}
    return {"enterprises": int(this_year["enterprise_id"].nunique()), **totals, "by_month": by_month}


@cached_by_data_version
def region_overview(store: Store, code: str, *, year: int | None = None, top: int = 15) -> dict[str, Any]:
    """A year of a region: top enterprises by tce, tce and CO2 by carrier and by industry, report completeness."""
    region = store.get_region(code)
    yearly = store.consumption_totals(Scope.everything(), by=["year"], region=code)
    if year is None:
        complete = bottom_up_years(store, code)
        full = complete[complete["complete"]].index
        year = int(full.max()) if len(full) else (int(yearly["year"].max()) if len(yearly) else None)
    if year is None:
        return {"region": code, "name": region["name"], "year": None, "top_enterprises": [], "by_carrier": [],
                "by_industry": [], "completeness": report_completeness(pd.DataFrame(), year=0)}
    window = {"start": f"{year:04d}-01", "end": f"{year:04d}-12"}
    enterprises = {e["id"]: e for e in store.list_enterprises(Scope.everything(), region=code)}
    by_enterprise = store.consumption_totals(Scope.everything(), by=["enterprise_id"], region=code, **window)
    total = float(by_enterprise["tce_equivalent"].sum()) if len(by_enterprise) else 0.0
    ranked = by_enterprise.sort_values("tce_equivalent", ascending=False).head(top)
    top_rows = [{"enterprise_id": row["enterprise_id"], "name": enterprises.get(row["enterprise_id"], {}).get("name"),
                 "industry": enterprises.get(row["enterprise_id"], {}).get("industry"),
                 "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"],
                 "share_pct": row["tce_equivalent"] / total * 100 if total else None}
                for row in records(ranked)]
    by_carrier = store.consumption_totals(Scope.everything(), by=["carrier"], region=code, **window)
    carrier_rows = [{"carrier": row["carrier"], "carrier_zh": get_carrier(row["carrier"]).name_zh,
                     "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"]}
                    for row in records(by_carrier.sort_values("tce_equivalent", ascending=False))]
    by_industry = store.consumption_totals(Scope.everything(), by=["industry"], region=code, **window)
    industry_rows = [{"industry": row["industry"], "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"],
                      "enterprises": row["enterprises"]}
                     for row in records(by_industry.sort_values("tce_equivalent", ascending=False))]
    completeness = report_completeness(store.reported_months(Scope.everything(), region=code), year=year)
    return {"region": code, "name": region["name"], "year": year, "total_tce": total, "top_enterprises": top_rows,
            "by_carrier": carrier_rows, "by_industry": industry_rows, "completeness": completeness}


def _year_window(year: int) -> dict[str, str]:
    return {"start": f"{year:04d}-01", "end": f"{year:04d}-12"}


def enterprise_telemetry(store: Store, scope: Scope, enterprise_id: str, *, start: str | None = None,
                         end: str | None = None) -> dict[str, Any]:
    """Per meter: readings, the energy they add up to, and their quality (completeness, gaps, resets).

    Days are Beijing days; a day is complete at 90 % of its 96 quarter-hours (GB/T 38692-2020).
    """
    from carbon.ingest.validate import daily_quality, interval_consumption

    store.get_enterprise(enterprise_id, scope)
    readings = store.readings(scope, enterprise_id=enterprise_id, start=start, end=end)
    meters = []
    if len(readings):
        daily = daily_quality(interval_consumption(readings))
        for meter_id, rows in readings.groupby("meter_id"):
            days = daily[daily["meter_id"] == meter_id]
            meters.append({
                "meter_id": meter_id, "carrier": rows["carrier"].iloc[0], "unit": rows["unit"].iloc[0],
                "kind": rows["kind"].iloc[0], "readings": len(rows), "first_ts": rows["ts"].min(),
                "last_ts": rows["ts"].max(), "energy": float(days["amount"].sum()), "days": len(days),
                "complete_days": int(days["complete"].sum()), "incomplete_days": int((~days["complete"]).sum()),
                "lowest_completeness_pct": float(days["completeness"].min() * 100) if len(days) else None,
                "resets": int(days["resets"].sum()), "gaps": int(days["gaps"].sum()),
                "daily": [{"day": str(d["day"]), "amount": d["amount"], "completeness_pct": d["completeness"] * 100}
                          for d in records(days[["day", "amount", "completeness"]])],
            })
    return jsonable({"enterprise_id": enterprise_id, "meters": meters})


def enterprise_compliance(store: Store, scope: Scope, enterprise_id: str, year: int) -> dict[str, Any]:
    """An enterprise's year: energy and CO2 with coverage, quota use and projection, energy per output value,
    and unit-product energy against the 能耗限额 standards' limit, entry and advanced values."""
    from carbon.screening import UnknownProduct, compare_unit_energy

    enterprise = store.get_enterprise(enterprise_id, scope)
    monthly = store.monthly_tce(scope, enterprise_id=enterprise_id, **_year_window(year)).set_index("period")
    cover = coverage(monthly.index, year)
    result: dict[str, Any] = {
        "enterprise_id": enterprise_id, "name": enterprise["name"], "year": year,
        "tce_equivalent": float(monthly["tce_equivalent"].sum()) if len(monthly) else 0.0,
        "tce_equal": float(monthly["tce_equal"].sum()) if len(monthly) else 0.0,
        "co2_t": float(monthly["co2_t"].sum()) if len(monthly) else 0.0,
        "coverage": cover.to_dict(), "quota": None, "energy_per_output": None, "products": [], "notes": [],
    }
    if cover.gaps:
        result["notes"].append(f"months without a report: {', '.join(cover.gaps)} — totals cover reported months only")
    quota = store.quota(enterprise_id, year)
    if quota:
        column = "tce_equal" if quota["basis"] == "equal" else "tce_equivalent"
        result["quota"] = {**quota_status(monthly[column], quota["quota_tce"], year).to_dict(),
                           "basis": quota["basis"]}
    output = store.output(scope, enterprise_id, **_year_window(year))
    value = output[output["product"] == ""]
    if len(value):
        both = [p for p in value["period"] if p in monthly.index]
        energy = float(monthly.loc[both, "tce_equivalent"].sum())
        output_value = float(value[value["period"].isin(both)]["output_value"].sum())
        if output_value > 0:
            result["energy_per_output"] = {"tce_per_10k_yuan": energy_per_output(energy, output_value),
                                           "energy_tce": energy, "output_value_10k_yuan": output_value,
                                           "months": both}
    products = output[output["product"] != ""]
    for product, rows in products.groupby("product"):
        months = [p for p in rows["period"] if p in monthly.index]
        energy = float(monthly.loc[months, "tce_equivalent"].sum())
        quantity = float(rows[rows["period"].isin(months)]["quantity"].sum())
        entry: dict[str, Any] = {"product": product, "quantity": quantity, "quantity_unit": rows["unit"].iloc[0],
                                 "months": months}
        try:
            compared = compare_unit_energy(product, energy, quantity, rows["unit"].iloc[0])
            entry.update(compared.to_dict())
        except (UnknownProduct, CarbonError, ValueError) as error:
            entry["error"] = str(error)
        if products["product"].nunique() > 1:
            entry["note"] = "the enterprise's whole energy is attributed to each product (no split reported)"
        result["products"].append(entry)
    return result


def enterprise_metrics(store: Store, scope: Scope, enterprise_id: str, year: int) -> dict[str, Any]:
    """Screening metrics computed from an enterprise's stored data, with how much of the year is measured.

    Annual figures are the reported months plus, when at least six are reported, the unreported months at the
    reported mean (marked ``estimated``); with fewer, the months are ``missing`` and no annual metric is made.
    """
    store.get_enterprise(enterprise_id, scope)
    by_carrier = store.consumption_totals(scope, by=["period", "carrier"], enterprise_id=enterprise_id,
                                          **_year_window(year))
    monthly = by_carrier.groupby("period")[["tce_equivalent", "co2_t"]].sum()
    cover = coverage(monthly.index, year)
    metrics: dict[str, Any] = {}
    notes: list[str] = []
    if cover.missing:
        notes.append(f"only {len(cover.measured)} of 12 months reported: annual metrics are not computed")
    else:
        scale = 12 / len(cover.measured)
        metrics["tce"] = float(monthly["tce_equivalent"].sum()) * scale
        metrics["co2_t"] = float(monthly["co2_t"].sum()) * scale
        if cover.estimated:
            notes.append(f"{len(cover.estimated)} month(s) estimated at the mean of the reported ones: "
                         f"{', '.join(cover.estimated)}")
        electricity = by_carrier[by_carrier["carrier"].isin(["electricity", "electricity_renewable"])]
        if electricity["tce_equivalent"].sum() > 0:
            renewable = electricity[electricity["carrier"] == "electricity_renewable"]["tce_equivalent"].sum()
            metrics["renewable_electricity_share_pct"] = float(renewable / electricity["tce_equivalent"].sum() * 100)
        previous = store.monthly_tce(scope, enterprise_id=enterprise_id, **_year_window(year - 1))
        if len(previous) == 12:
            metrics["tce_change_pct"] = (float(monthly["tce_equivalent"].sum()) * scale
                                         / float(previous["tce_equivalent"].sum()) - 1) * 100
        output = store.output(scope, enterprise_id, **_year_window(year))
        for product, rows in output[output["product"] != ""].groupby("product"):
            months = [p for p in rows["period"] if p in monthly.index]
            quantity = float(rows[rows["period"].isin(months)]["quantity"].sum())
            unit = rows["unit"].iloc[0]
            if quantity <= 0:
                continue
            energy = float(monthly.loc[months, "tce_equivalent"].sum())
            co2 = float(monthly.loc[months, "co2_t"].sum())
            name = "clinker" if product == "cement_clinker" else product
            if unit in ("t", "吨"):
                metrics[f"unit_energy_kgce_per_t_{name}"] = energy * 1000 / quantity
                metrics[f"tco2e_per_t_{name}"] = co2 / quantity
                notes.append(f"tco2e_per_t_{name} counts energy CO2 only (process emissions are not reported)")
            elif product == "electricity":
                kwh = Q_(quantity, unit).to("kWh").magnitude
                metrics["direct_gco2e_per_kwh"] = co2 * 1e6 / kwh
    return {"enterprise_id": enterprise_id, "year": year, "metrics": metrics, "coverage": cover.to_dict(),
            "notes": notes}
