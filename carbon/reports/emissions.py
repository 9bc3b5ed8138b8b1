"""A region's CO2 report: CO2 per year (official, estimated or bottom-up), CO2 per GDP on its plan's path, the
peak status, the LMDI decomposition and CO2 by carrier."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from carbon.indicators import co2_intensity, lmdi_decomposition, peak_status
from carbon.indicators.plans import intensity_position
from carbon.jsonable import jsonable, plain, records
from carbon.reports.cache import cached_by_region_version, remembered
from carbon.reports.plan_targets import region_indicators
from carbon.reports.region import ReportInputs, ratio
from carbon.store import Store

__all__ = ["carbon_by_carrier", "region_carbon"]


@cached_by_region_version
def region_carbon(store: Store, code: str) -> dict[str, Any]:
    """CO2 per year (official where given, else bottom-up), CO2 per GDP, peak status and LMDI decomposition."""
    inputs = ReportInputs.read(store, code)
    indicators = tuple(region_indicators(store, code, kind="co2_intensity"))
    report = remembered(("region_carbon", inputs.key, indicators), lambda: _carbon_report(inputs, indicators))
    by_carrier = carbon_by_carrier(inputs.parts)  # every year's, also those the rest of the report does not show
    return {name: by_carrier if name == "by_carrier" else value for name, value in report.items()}


def carbon_by_carrier(parts: pd.DataFrame) -> list[dict[str, Any]]:
    """CO2 [t] and tce per year and carrier from the sums per year, carrier and purpose, sorted by year and carrier.

    The purposes of a carrier are added as pandas' group-by sum adds them (compensated, NaN skipped), so the
    values are the ones ``parts.groupby(["year", "carrier"]).sum()`` gives, without its overhead.
    """
    if not len(parts):
        return []
    sums: dict[tuple[Any, Any], list[list[float]]] = {}
    for year, carrier, co2, tce in zip(parts["year"].tolist(), parts["carrier"].tolist(), parts["co2_t"].tolist(),
                                       parts["tce_equivalent"].tolist(), strict=True):
        if year is None or carrier is None or year != year or carrier != carrier:
            continue  # as the group-by, which leaves out missing keys
        values = sums.setdefault((year, carrier), [[], []])
        values[0].append(co2)
        values[1].append(tce)
    return [{"year": plain(year), "carrier": plain(carrier), "co2_t": plain(_compensated_sum(co2)),
             "tce_equivalent": plain(_compensated_sum(tce))} for (year, carrier), (co2, tce) in sorted(sums.items())]


def _compensated_sum(values: list[float]) -> float:
    """Kahan summation skipping NaN, step for step as pandas' group-by sum (``group_sum``) does it."""
    total = compensation = 0.0
    for value in values:
        if value is None or value != value:
            continue
        y = value - compensation
        t = total + y
        compensation = t - total - y
        if compensation != compensation:  # an infinity: pandas resets the compensation
            compensation = 0.0
        total = t
    return total


def _carbon_report(inputs: ReportInputs, indicators: tuple[Any, ...]) -> dict[str, Any]:
    """:func:`region_carbon` from its inputs (pure), ``by_carrier`` left for the caller."""
    region, code = inputs.region, inputs.region["code"]
    years = inputs.years()
    known = years[years["co2_t"].notna()]
    emissions = known["co2_t"]
    rows = pd.DataFrame({
        "year": known.index, "co2_t": emissions.to_numpy(), "source": known["co2_source"].to_numpy(),
        "bottom_up_co2_t": known["bottom_up_co2_t"].to_numpy(), "coverage_pct": known["coverage_pct"].to_numpy(),
        "energy_tce": known["energy_tce"].to_numpy(), "gdp_constant": known["gdp_constant"].to_numpy(),
        "co2_per_gdp": co2_intensity(emissions, known["gdp_constant"]).to_numpy()
        if len(known) else np.array([], dtype=float),
        "co2_per_tce": ratio(emissions, known["energy_tce"]).to_numpy(),
    })
    peak = peak_status(emissions, aim_year=region.get("peak_aim_year"))
    decomposition_input = known[["co2_t", "energy_tce", "gdp_constant"]].dropna()
    decomposition = lmdi_decomposition(decomposition_input) if len(decomposition_input) >= 2 else pd.DataFrame()
    return jsonable({
        "region": code, "name": region["name"], "unit": "t CO2", "years": records(rows),
        "sources": {"official": "the region's official CO2 total", "estimated": "enterprises' CO2 per tce applied "
                    "to the official energy total", "bottom_up": "sum of the enterprises' reported CO2 (complete "
                    "years only)"},
        "peak": peak.to_dict(), "decomposition": records(decomposition),
        "by_carrier": None,
        # CO2 per GDP with its change, the constant-rate path of the plan in force and the change still required
        "co2_intensity": intensity_position(list(indicators), rows.set_index("year")["co2_per_gdp"]),
    })
