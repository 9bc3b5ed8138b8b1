"""Reports: store queries combined with the pure indicators, ready for the API, the CLI and the dashboard.

Each function reads what it needs through the store (scoped by the caller) and returns plain dictionaries
whose numbers come from :mod:`carbon.indicators`; no arithmetic lives in the HTTP or CLI layers.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carbon.indicators import (
    GdpForecast,
    IndicatorInputError,
    IntensityTarget,
    co2_intensity,
    intensity_table,
    lmdi_decomposition,
    peak_status,
)
from carbon.store import Scope, Store

__all__ = ["bottom_up_years", "enterprise_energy", "intensity_target", "region_carbon", "region_intensity"]

_BY = {"month": ["period"], "year": ["year"], "carrier": ["carrier"]}
_SUMS = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")


def _clean(value: Any) -> Any:
    if isinstance(value, float | np.floating) and not np.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as JSON-ready dictionaries (NaN → None, numpy scalars → Python)."""
    return [{key: _clean(value) for key, value in row.items()} for row in frame.to_dict("records")]


def enterprise_energy(store: Store, scope: Scope, enterprise_id: str, *, by: str = "month",
                      start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """Energy [GJ], tce on both bases and CO2 [t] of one enterprise, grouped by month, year or carrier."""
    if by not in _BY:
        raise ValueError(f"by must be one of {', '.join(_BY)}")
    totals = store.consumption_totals(scope, by=_BY[by], enterprise_id=enterprise_id, start=start, end=end)
    rows = [{"key": {name: _clean(row[name]) for name in _BY[by]},
             **{name: float(row[name] or 0.0) for name in _SUMS}, "rows": int(row["rows"])}
            for row in totals.to_dict("records")]
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
    by_purpose = store.consumption_totals(Scope.everything(), by=["year", "purpose"], region=region)
    by_carrier = store.consumption_totals(Scope.everything(), by=["year", "carrier"], region=region)
    months = store.consumption_totals(Scope.everything(), by=["period"], region=region)
    if by_purpose.empty:
        return pd.DataFrame(columns=["bottom_up_tce", "bottom_up_feedstock_tce", "bottom_up_renewable_tce",
                                     "bottom_up_co2_t", "months", "enterprises", "complete"])
    total = by_purpose.groupby("year")[["tce_equivalent", "co2_t"]].sum()
    feedstock = by_purpose[by_purpose["purpose"] == "feedstock"].groupby("year")["tce_equivalent"].sum()
    renewable = by_carrier[by_carrier["carrier"] == "electricity_renewable"].groupby("year")["tce_equivalent"].sum()
    month_count = months.assign(year=months["period"].str[:4].astype(int)).groupby("year")["period"].nunique()
    enterprises = store.consumption_totals(Scope.everything(), by=["year"], region=region).set_index("year")
    frame = pd.DataFrame({
        "bottom_up_tce": total["tce_equivalent"], "bottom_up_co2_t": total["co2_t"],
        "bottom_up_feedstock_tce": feedstock, "bottom_up_renewable_tce": renewable,
        "months": month_count, "enterprises": enterprises["enterprises"],
    }).fillna({"bottom_up_feedstock_tce": 0.0, "bottom_up_renewable_tce": 0.0})
    frame["complete"] = frame["months"] == 12
    frame.index.name = "year"
    return frame


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
        frame[column] = stats.get(column, np.nan)
    frame = frame.join(bottom)
    usable = frame.get("complete", pd.Series(False, index=frame.index)).fillna(False).astype(bool)
    official = frame["energy_total_tce"].notna()
    frame["energy_source"] = np.where(official, "official", np.where(usable, "bottom_up", None))
    frame["energy_tce"] = frame["energy_total_tce"].where(official, frame["bottom_up_tce"].where(usable))
    frame["feedstock_tce"] = frame["feedstock_tce"].where(frame["feedstock_tce"].notna(),
                                                          frame["bottom_up_feedstock_tce"].where(usable))
    frame["renewable_tce"] = frame["renewable_tce"].where(frame["renewable_tce"].notna(),
                                                          frame["bottom_up_renewable_tce"].where(usable))
    frame["coverage_pct"] = frame["bottom_up_tce"] / frame["energy_total_tce"] * 100.0
    # Without an official CO2 total, the enterprises' CO2 per tce is applied to the official energy total (the
    # uncovered part is assumed to burn the same mix); without that either, the bottom-up sum stands alone.
    co2_official = frame["co2_total_t"].notna()
    scaled = frame["bottom_up_co2_t"] / frame["bottom_up_tce"] * frame["energy_total_tce"]
    can_scale = ~co2_official & official & usable & scaled.notna()
    frame["co2_source"] = np.select([co2_official, can_scale, usable], ["official", "estimated", "bottom_up"], None)
    frame["co2_t"] = np.select([co2_official, can_scale, usable],
                               [frame["co2_total_t"], scaled, frame["bottom_up_co2_t"]], np.nan)
    return frame


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
    return {"region": code, "name": region["name"], **report}


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
        "co2_per_tce": (emissions / known["energy_tce"]).to_numpy(),
    })
    peak = peak_status(emissions, aim_year=region.get("peak_aim_year"))
    decomposition_input = known[["co2_t", "energy_tce", "gdp_constant"]].dropna()
    decomposition = lmdi_decomposition(decomposition_input) if len(decomposition_input) >= 2 else pd.DataFrame()
    carriers = store.consumption_totals(Scope.everything(), by=["year", "carrier"], region=code)
    return {
        "region": code, "name": region["name"], "unit": "t CO2", "years": records(rows),
        "sources": {"official": "the region's official CO2 total", "estimated": "enterprises' CO2 per tce applied "
                    "to the official energy total", "bottom_up": "sum of the enterprises' reported CO2 (complete "
                    "years only)"},
        "peak": peak.to_dict(), "decomposition": records(decomposition),
        "by_carrier": records(carriers[["year", "carrier", "co2_t", "tce_equivalent"]]) if len(carriers) else [],
    }
