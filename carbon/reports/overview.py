"""A year of a region at a glance: its top enterprises, tce and CO2 by carrier and by industry, and how complete
and timely the monthly reports were."""

from __future__ import annotations

from typing import Any

import pandas as pd

from carbon.carriers import get_carrier
from carbon.compliance import report_deadline
from carbon.industries import industry_name
from carbon.jsonable import records
from carbon.reports.cache import cached_by_region_version
from carbon.reports.region import bottom_up_years
from carbon.store import Scope, Store

__all__ = ["region_overview", "report_completeness"]


def report_completeness(reported: pd.DataFrame, *, year: int) -> dict[str, Any]:
    """Reports expected per month of a year, as a partition: on time, late and missing (``on_time + late + missing
    = expected``); ``received`` is on time plus late.

    An enterprise is expected to report every month from its first report on; a report is late when it arrived
    after day 15 of the following month; months after the newest month anyone reported are not counted yet.
    """
    keys = ("expected", "received", "on_time", "late", "missing")
    empty: dict[str, Any] = {"enterprises": 0, **dict.fromkeys(keys, 0), "by_month": []}
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
        late = int((submitted > report_deadline(month)).sum())
        by_month.append({"period": month, "expected": expected, "received": len(rows), "on_time": len(rows) - late,
                         "late": late, "missing": max(expected - len(rows), 0)})
    totals = {key: sum(m[key] for m in by_month) for key in keys}
    return {"enterprises": int(this_year["enterprise_id"].nunique()), **totals, "by_month": by_month}


@cached_by_region_version
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
                 "industry_name": industry_name(enterprises.get(row["enterprise_id"], {}).get("industry")),
                 "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"],
                 "share_pct": row["tce_equivalent"] / total * 100 if total else None}
                for row in records(ranked)]
    by_carrier = store.consumption_totals(Scope.everything(), by=["carrier"], region=code, **window)
    carrier_rows = [{"carrier": row["carrier"], "carrier_zh": get_carrier(row["carrier"]).name_zh,
                     "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"]}
                    for row in records(by_carrier.sort_values("tce_equivalent", ascending=False))]
    by_industry = store.consumption_totals(Scope.everything(), by=["industry"], region=code, **window)
    industry_rows = [{"industry": row["industry"], "industry_name": industry_name(row["industry"]),
                      "tce_equivalent": row["tce_equivalent"], "co2_t": row["co2_t"],
                      "enterprises": row["enterprises"]}
                     for row in records(by_industry.sort_values("tce_equivalent", ascending=False))]
    completeness = report_completeness(store.reported_months(Scope.everything(), region=code), year=year)
    return {"region": code, "name": region["name"], "year": year, "total_tce": total, "top_enterprises": top_rows,
            "by_carrier": carrier_rows, "by_industry": industry_rows, "completeness": completeness}
