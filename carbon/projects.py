"""Energy and carbon review of a proposed fixed-asset investment project (节能审查 / 项目碳评价).

A project states its annual energy use per carrier, its output value and value added, and its products. The
review converts the energy with the package's factors (tce on both bases, CO2), sets the review level from the
thresholds of :data:`THRESHOLDS_FILE` (a region may override them), weighs the project against the region (its
intensities, its share of the region's energy and CO2, its share of the room left under each binding indicator
of the current plan), grades each product against its 能耗限额 standard, optionally screens it for green
finance, and gives a verdict with its reasons.

Pure: the region's figures come in as a :class:`RegionContext` prepared by ``carbon.reports.projects``.

References
----------
.. [1] 固定资产投资项目节能审查办法 (国家发展改革委令2023年第2号, in force 2023-06-01): annual comprehensive
       energy consumption with electricity at 当量值; ≥ 10 000 tce reviewed by the province.
.. [2] The 2016 rules (令2016年第44号): under 1 000 tce and under 5 000 000 kWh a year, no separate review.
.. [3] 国办发〔2024〕39号: 项目碳评价, the carbon evaluation of fixed-asset investment projects.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import pandas as pd

from carbon.accounting import convert_frame
from carbon.editions import newest_editions
from carbon.errors import InvalidInput
from carbon.indicators.plans import Indicator, indicator_path
from carbon.jsonable import jsonable, records
from carbon.screening import compare_unit_energy, default_rules, screen
from carbon.units import Q_, parse_unit

__all__ = [
    "REVIEW_LEVELS", "RegionContext", "ReviewThresholds", "project_energy", "review_level", "review_project",
    "review_thresholds", "room_left",
]

REVIEW_LEVELS = ("exempt", "local", "provincial")
THRESHOLD_NAMES = ("exempt_tce_below", "exempt_kwh_below", "provincial_tce_at_least")
_THRESHOLDS_FILE = re.compile(r"^review_thresholds-(?P<date>\d{4}-\d{2}-\d{2})\.csv$")
ELECTRICITY = ("electricity", "electricity_renewable")
# Which amount an indicator kind constrains: energy [tce] or CO2 [t].
_AMOUNT = {"energy_intensity": "energy", "energy_total": "energy", "co2_intensity": "co2", "co2_total": "co2"}


@dataclass(frozen=True)
class ReviewThresholds:
    """Thresholds of the review level [tce/a, kWh/a], each with its source."""

    exempt_tce_below: float
    exempt_kwh_below: float
    provincial_tce_at_least: float
    sources: Mapping[str, str] = field(default_factory=dict)
    edition: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {name: {"value": getattr(self, name), "source": self.sources.get(name)} for name in THRESHOLD_NAMES} \
            | {"edition": self.edition}


def review_thresholds(overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ReviewThresholds:
    """The thresholds of the newest edition of ``review_thresholds-<date>.csv``, with a region's overrides.

    Parameters
    ----------
    overrides : mapping, optional
        Threshold name → ``{"value": float, "source": str}`` set for a region.

    Raises
    ------
    InvalidInput
        An override of an unknown threshold or with a value that is not a non-negative number.
    """
    date, entry = newest_editions(resources.files("carbon.rules"), _THRESHOLDS_FILE)[""]
    rows = {row["name"]: row for row in csv.DictReader(io.StringIO(entry.read_text(encoding="utf-8")))}
    values = {name: float(rows[name]["value"]) for name in THRESHOLD_NAMES}
    sources = {name: rows[name]["source"] for name in THRESHOLD_NAMES}
    for name, override in (overrides or {}).items():
        if name not in THRESHOLD_NAMES:
            raise InvalidInput(f"unknown review threshold {name!r}; thresholds: {', '.join(THRESHOLD_NAMES)}")
        value = override.get("value")
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
            raise InvalidInput(f"review threshold {name}: {value!r} is not a non-negative number")
        values[name] = float(value)
        sources[name] = f"region override: {override.get('source') or 'no source given'}"
    return ReviewThresholds(**values, sources=sources, edition=date)


def review_level(annual_tce: float, annual_kwh: float, thresholds: ReviewThresholds) -> tuple[str, str]:
    """The review level of a project and why.

    Parameters
    ----------
    annual_tce : float
        Annual comprehensive energy consumption, electricity at 当量值 [tce/a].
    annual_kwh : float
        Annual electricity consumption [kWh/a].

    Returns
    -------
    (str, str)
        ``exempt`` (under both exemption thresholds), ``provincial`` (at or above the provincial threshold) or
        ``local``, and the reason.

    Examples
    --------
    >>> review_level(999.9, 4_999_999, review_thresholds())[0], review_level(1000, 0, review_thresholds())[0]
    ('exempt', 'local')
    """
    t = thresholds
    if annual_tce >= t.provincial_tce_at_least:
        return "provincial", f"{annual_tce:,.1f} tce/a ≥ {t.provincial_tce_at_least:,.0f} tce/a: provincial review"
    if annual_tce < t.exempt_tce_below and annual_kwh < t.exempt_kwh_below:
        return "exempt", (f"{annual_tce:,.1f} tce/a < {t.exempt_tce_below:,.0f} and {annual_kwh:,.0f} kWh/a < "
                          f"{t.exempt_kwh_below:,.0f}: no separate energy review")
    why = (f"{annual_tce:,.1f} tce/a ≥ {t.exempt_tce_below:,.0f}" if annual_tce >= t.exempt_tce_below
           else f"{annual_kwh:,.0f} kWh/a ≥ {t.exempt_kwh_below:,.0f}")
    return "local", f"{why} and below {t.provincial_tce_at_least:,.0f} tce/a: reviewed by the local authority"


def project_energy(energy: Sequence[Mapping[str, Any]], *, year: int, grid_region: str | None = None
                   ) -> tuple[pd.DataFrame, dict[str, float]]:
    """Annual energy per carrier converted to tce (both bases) and CO2, and the totals.

    Parameters
    ----------
    energy : sequence of mapping
        ``carrier``, ``quantity`` and ``unit`` of each carrier's annual use (any carrier and unit the package
        converts).
    year : int
        The year whose factors apply (the project's start year; the newest earlier year stands in).
    grid_region : str, optional
        The region's grid region or province, for the electricity factor.

    Returns
    -------
    (DataFrame, dict)
        Per carrier: quantity, unit, energy_gj, tce_equivalent, tce_equal, co2_t and the factor ids; totals
        ``annual_tce_equivalent``, ``annual_tce_equal``, ``annual_co2_t`` and ``annual_kwh`` (electricity).
    """
    if not energy:
        raise InvalidInput("a project needs at least one energy carrier with its annual quantity")
    frame = pd.DataFrame([{"carrier": e.get("carrier"), "quantity": e.get("quantity"), "unit": e.get("unit")}
                          for e in energy])
    converted = convert_frame(frame, year=year, region=grid_region)
    kwh = converted.loc[converted["carrier"].astype(str).isin(ELECTRICITY), "energy_gj"].sum()
    totals = {"annual_tce_equivalent": float(converted["tce_equivalent"].sum()),
              "annual_tce_equal": float(converted["tce_equal"].sum()),
              "annual_co2_t": float(converted["co2_t"].sum()),
              "annual_kwh": float(Q_(float(kwh), "GJ").to("kWh").magnitude)}
    columns = ["carrier", "quantity", "unit", "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor",
               "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version"]
    out = converted[[c for c in columns if c in converted]].copy()
    out["carrier"] = out["carrier"].astype(str)
    out["unit"] = out["unit"].astype(str)
    return out, totals


@dataclass(frozen=True)
class RegionContext:
    """What the review needs to know of the region, prepared from the store.

    Attributes
    ----------
    latest_year : int, optional
        The latest year with energy, CO2 and GDP.
    energy_tce, co2_t, gdp_constant : float, optional
        That year's energy [tce], CO2 [t] and GDP at constant prices [万元].
    gdp_growth_pct : float, optional
        Real GDP growth assumed for the years after it [%/yr].
    latest_values : mapping
        Indicator kind → its value in the latest year, on the basis its plan is assessed (the adjusted energy
        intensity, for instance), in the kind's unit.
    indicators : sequence of (plan, Indicator, base_value)
        The binding indicators of the plan in force, with the base value their path starts from.
    approved : sequence of mapping
        Approved projects: ``id``, ``name``, ``start_year``, ``annual_tce_equivalent``, ``annual_co2_t``.
    """

    code: str
    latest_year: int | None = None
    energy_tce: float | None = None
    co2_t: float | None = None
    gdp_constant: float | None = None
    gdp_growth_pct: float | None = None
    latest_values: Mapping[str, float] = field(default_factory=dict)
    indicators: Sequence[tuple[str, Indicator, float | None]] = ()
    approved: Sequence[Mapping[str, Any]] = ()
    notes: Sequence[str] = ()

    def intensity(self, amount: str) -> float | None:
        value = self.energy_tce if amount == "energy" else self.co2_t
        if value is None or not self.gdp_constant:
            return None
        return value / self.gdp_constant


def room_left(indicator: Indicator, base_value: float | None, context: RegionContext, *, year: int,
              project_amount: float) -> dict[str, Any]:
    """The room left under one indicator in ``year``, and the project's share of it.

    The allowed amount is the path's value in that year (times the GDP projected at the region's growth, for an
    intensity); the region's own amount is held at its latest year's (for an intensity: its latest value times
    its latest GDP, on the basis the plan is assessed); approved projects count from their start year on.
    room = allowed − latest − approved projects started by ``year``.

    Returns
    -------
    dict
        ``kind``, ``year``, ``allowed``, ``regional``, ``approved_projects`` (amount and ids), ``room``,
        ``share_pct`` (None when no room is left), ``exceeds`` and ``assumption``.
    """
    amount = _AMOUNT.get(indicator.kind)
    out: dict[str, Any] = {"kind": indicator.kind, "year": year, "unit": "tce" if amount == "energy" else "t CO2",
                           "allowed": None, "regional": None, "approved_projects": 0.0, "approved_ids": [],
                           "room": None, "share_pct": None, "exceeds": None, "assumption": None}
    if amount is None or base_value is None or context.latest_year is None:
        out["assumption"] = "no room computed: " + ("the non-fossil share sets no amount" if amount is None
                                                     else "the region's base or latest figures are missing")
        return out
    latest = context.latest_values.get(indicator.kind)
    if latest is None or not math.isfinite(latest):
        out["assumption"] = f"no room computed: no {indicator.kind} in {context.latest_year}"
        return out
    path = float(indicator_path(indicator, base_value, [year]).iloc[0])
    regional = latest * context.gdp_constant if indicator.kind.endswith("_intensity") else latest  # type: ignore
    if indicator.kind.endswith("_intensity"):
        growth = context.gdp_growth_pct or 0.0
        gdp = context.gdp_constant * (1 + growth / 100) ** (year - context.latest_year)  # type: ignore[operator]
        allowed = path * gdp
        assumption = (f"allowed = path {path:.6g} {indicator.unit} x GDP {year} {gdp:,.0f} 万元 (GDP "
                      f"{context.latest_year} at {growth:+.2f} %/yr); the region's amount held at "
                      f"{context.latest_year}'s")
    else:
        allowed, assumption = path, f"allowed = path {path:,.0f}; the region's amount held at {context.latest_year}'s"
    started = [p for p in context.approved if int(p["start_year"]) <= year]
    key = "annual_tce_equivalent" if amount == "energy" else "annual_co2_t"
    approved = float(sum(float(p[key]) for p in started))
    room = allowed - float(regional) - approved  # type: ignore[arg-type]
    out.update(allowed=allowed, regional=regional, approved_projects=approved,
               approved_ids=[p["id"] for p in started], room=room,
               share_pct=project_amount / room * 100 if room > 0 else None, exceeds=bool(project_amount > room),
               assumption=assumption)
    return out


def _products(products: Sequence[Mapping[str, Any]], kind: str) -> tuple[list[dict[str, Any]], list[dict]]:
    """Each product against its 能耗限额: new projects must meet the entry value (准入值), rebuilds the limit."""
    rules = default_rules()
    results, reasons = [], []
    for item in products:
        limit = rules.limit(str(item.get("product")))
        output = Q_(float(item["quantity"]), parse_unit(str(item["unit"])))
        energy = (Q_(float(item["unit_energy"]), parse_unit(limit.unit)) * output).to("tce")
        result = compare_unit_energy(limit.product, energy, float(item["quantity"]), str(item["unit"]),
                                     rules=rules).to_dict()
        required = "entry" if kind == "new" and limit.entry is not None else "limit"
        bound = limit.entry if required == "entry" else limit.limit
        result["required"], result["meets_required"] = required, bool(result["unit_energy"] <= bound + 1e-9)
        results.append(result)
        if not result["meets_required"]:
            reasons.append(_reason("blocking", f"{limit.product}: {result['unit_energy']:.4g} {limit.unit} is above "
                                               f"the {required} value {bound:g} ({limit.edition})"))
        elif result["grade"] != "advanced" and limit.advanced is not None:
            reasons.append(_reason("concern", f"{limit.product}: {result['unit_energy']:.4g} {limit.unit} does not "
                                              f"reach the advanced value {limit.advanced:g}"))
    return results, reasons


def _reason(severity: str, text: str) -> dict[str, str]:
    return {"severity": severity, "reason": text}


def _against_region(totals: Mapping[str, float], value_added: float | None, context: RegionContext
                    ) -> tuple[dict[str, Any], list[dict]]:
    reasons: list[dict] = []
    out: dict[str, Any] = {"latest_year": context.latest_year}
    for amount, key in (("energy", "annual_tce_equivalent"), ("co2", "annual_co2_t")):
        own = totals[key] / value_added if value_added else None
        region = context.intensity(amount)
        regional_total = context.energy_tce if amount == "energy" else context.co2_t
        raises = bool(own > region) if own is not None and region is not None else None
        out[amount] = {"project_intensity": own, "region_intensity": region, "raises_region_intensity": raises,
                       "share_of_region_pct": totals[key] / regional_total * 100 if regional_total else None,
                       "unit": "tce/万元" if amount == "energy" else "t CO2/万元"}
        if raises:
            reasons.append(_reason("concern", f"its {amount} intensity {own:.4g} per 万元 of value added is above "
                                              f"the region's {region:.4g} ({context.latest_year}): it raises it"))
    return out, reasons


def _verdict(reasons: Sequence[Mapping[str, str]]) -> str:
    severities = {reason["severity"] for reason in reasons}
    return "not_recommended" if "blocking" in severities else "conditional" if "concern" in severities \
        else "recommended"


def review_project(project: Mapping[str, Any], context: RegionContext, *,
                   thresholds: ReviewThresholds | None = None, grid_region: str | None = None) -> dict[str, Any]:
    """The energy and carbon review of a proposed project.

    Parameters
    ----------
    project : mapping
        ``region``, ``name``, ``industry``, ``kind`` (new | rebuild), ``start_year``, ``energy`` (carrier,
        quantity, unit — annual), ``output_value`` and ``value_added`` [万元/a], ``products`` (product, quantity,
        unit, unit_energy in the standard's unit), optional ``screening`` (framework, activity, metrics).
    context : RegionContext
    thresholds : ReviewThresholds, optional
        Default: the package's, without overrides.

    Returns
    -------
    dict
        Totals (``annual_tce_equivalent``, ``annual_tce_equal``, ``annual_co2_t``, ``annual_kwh``), ``by_carrier``
        with the factor ids, ``review_level`` and its reason and thresholds, ``against_region``, ``room`` per
        binding indicator, ``products``, ``screening``, ``verdict`` (recommended | conditional | not_recommended)
        and ``reasons`` (severity blocking | concern | info).
    """
    thresholds = thresholds or review_thresholds()
    start_year = int(project["start_year"])
    by_carrier, totals = project_energy(project["energy"], year=start_year, grid_region=grid_region)
    level, level_reason = review_level(totals["annual_tce_equivalent"], totals["annual_kwh"], thresholds)
    reasons = [_reason("info", level_reason)]
    against, found = _against_region(totals, project.get("value_added"), context)
    reasons += found
    room = []
    for plan, indicator, base in context.indicators:
        key = "annual_tce_equivalent" if _AMOUNT.get(indicator.kind) == "energy" else "annual_co2_t"
        latest = context.latest_year if context.latest_year is not None else start_year - 1
        year = min(max(start_year, latest + 1), indicator.target_year)
        entry = {"plan": plan, **room_left(indicator, base, context, year=year, project_amount=totals[key])}
        room.append(entry)
        if entry["exceeds"]:
            reasons.append(_reason("blocking", f"{plan} {indicator.kind}: the project's {totals[key]:,.0f} "
                                               f"{entry['unit']}/a exceed the room left in {year} "
                                               f"({entry['room']:,.0f})"))
    products, found = _products(project.get("products") or [], str(project.get("kind", "new")))
    reasons += found
    screening = None
    if project.get("screening"):
        spec = project["screening"]
        screening = screen(spec["framework"], spec["activity"], spec.get("metrics") or {}).to_dict()
    return jsonable({
        "region": context.code, "name": project.get("name"), "kind": project.get("kind"), "start_year": start_year,
        **totals, "by_carrier": records(by_carrier), "review_level": level, "review_level_reason": level_reason,
        "thresholds": thresholds.to_dict(), "against_region": against, "room": room, "products": products,
        "screening": screening, "verdict": _verdict(reasons), "reasons": reasons,
        "notes": list(context.notes),
    })
