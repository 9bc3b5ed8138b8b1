"""Enterprise reports: energy by month, year or carrier, telemetry quality, compliance, and screening metrics."""

from __future__ import annotations

from typing import Any

from carbon.accounting import VALUE_COLUMNS
from carbon.carriers import get_carrier
from carbon.compliance import coverage, energy_per_output, quota_status
from carbon.errors import CarbonError, InvalidInput
from carbon.indicators.telemetry import daily_quality, interval_consumption
from carbon.jsonable import jsonable, plain, records
from carbon.store import Scope, Store
from carbon.units import Q_, parse_unit

__all__ = [
    "enterprise_compliance", "enterprise_energy", "enterprise_metrics", "enterprise_telemetry", "latest_complete_year",
]

_BY = {"month": ["period"], "year": ["year"], "carrier": ["carrier"], "month_carrier": ["period", "carrier"]}
_SUMS = VALUE_COLUMNS


def enterprise_energy(store: Store, scope: Scope, enterprise_id: str, *, by: str = "month",
                      start: str | None = None, end: str | None = None) -> dict[str, Any]:
    """Energy [GJ], tce on both bases and CO2 [t] of one enterprise, grouped by month, year or carrier."""
    if by not in _BY:
        raise InvalidInput(f"by must be one of {', '.join(_BY)}, not {by!r}")
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


def _year_window(year: int) -> dict[str, str]:
    return {"start": f"{year:04d}-01", "end": f"{year:04d}-12"}


def enterprise_telemetry(store: Store, scope: Scope, enterprise_id: str, *, start: str | None = None,
                         end: str | None = None) -> dict[str, Any]:
    """Per meter: readings, the energy they add up to, and their quality (completeness, gaps, resets).

    Days are Beijing days; a day is complete at 90 % of its 96 quarter-hours (GB/T 38692-2020).
    """

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
        if products["product"].nunique() > 1:  # said beside the standard's own caveat, never over it
            attribution = "the enterprise's whole energy is attributed to each product (no split reported)"
            entry["note"] = f"{entry['note']}; {attribution}" if entry.get("note") else attribution
        result["products"].append(entry)
    return result


def latest_complete_year(store: Store, scope: Scope, enterprise_id: str) -> tuple[int | None, int | None]:
    """The latest year with all twelve months reported, and the latest year with any report (None when none)."""
    months = store.monthly_tce(scope, enterprise_id=enterprise_id)
    if not len(months):
        return None, None
    per_year = months["period"].astype(str).str[:4].astype(int).value_counts()
    complete = per_year[per_year >= 12]
    return (int(complete.index.max()) if len(complete) else None), int(per_year.index.max())


def enterprise_metrics(store: Store, scope: Scope, enterprise_id: str, year: int | None = None) -> dict[str, Any]:
    """Screening metrics computed from an enterprise's stored data, with how much of the year is measured.

    Annual figures are the reported months plus, when at least six are reported, the unreported months at the
    reported mean (marked ``estimated``); with fewer, the months are ``missing`` and no annual metric is made.
    Without a year, the latest complete year (all twelve months reported) is used, or else the latest year with
    a report, and a note says which. The returned ``coverage`` lists the months measured.
    """
    store.get_enterprise(enterprise_id, scope)
    chosen: list[str] = []
    if year is None:
        complete, latest = latest_complete_year(store, scope, enterprise_id)
        if complete is not None:
            year = complete
            chosen.append(f"year {year}: the latest complete year (all 12 months reported)")
        elif latest is not None:
            year = latest
            chosen.append(f"year {year}: no year has all 12 months reported; the latest year with a report is used")
        else:
            raise InvalidInput(f"enterprise {enterprise_id} has no reported consumption to screen")
    by_carrier = store.consumption_totals(scope, by=["period", "carrier"], enterprise_id=enterprise_id,
                                          **_year_window(year))
    monthly = by_carrier.groupby("period")[["tce_equivalent", "co2_t"]].sum()
    cover = coverage(monthly.index, year)
    metrics: dict[str, Any] = {}
    notes: list[str] = chosen  # the months measured are in coverage
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
                kwh = Q_(quantity, parse_unit(unit)).to("kWh").magnitude
                metrics["direct_gco2e_per_kwh"] = co2 * 1e6 / kwh
    return {"enterprise_id": enterprise_id, "year": year, "metrics": metrics, "coverage": cover.to_dict(),
            "notes": notes}
