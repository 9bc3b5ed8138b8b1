"""A region's plans and their indicators as stored, with the 14th plan's energy-intensity target kept equal to the
region's intensity settings (``regions.intensity_*``, which the older routes set)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from carbon.errors import InvalidInput, NotFound
from carbon.indicators.plans import Indicator
from carbon.jsonable import jsonable
from carbon.store import Store
from carbon.store.plans import INDICATOR_COLUMNS, LEGACY_PLAN

__all__ = ["LEGACY_SOURCE", "plan_rows", "region_indicators", "region_plan", "set_plan"]

LEGACY_SOURCE = "the region's intensity target (regions.intensity_*)"


def _legacy(region: Mapping[str, Any], stored: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """The 14th plan's energy-intensity indicator as the region's ``intensity_*`` columns say (they win)."""
    names = ("intensity_base_year", "intensity_base_value", "intensity_target_year", "intensity_target_value")
    if any(region.get(name) is None for name in names):
        return None
    return {"kind": "energy_intensity", "base_year": int(region["intensity_base_year"]),
            "target_year": int(region["intensity_target_year"]),
            "base_value": float(region["intensity_base_value"]),
            "target_value": float(region["intensity_target_value"]), "change_pct": None,
            "binding": bool(stored["binding"]) if stored else True,
            "source": (stored or {}).get("source") or LEGACY_SOURCE}


def plan_rows(store: Store, code: str, plan: str) -> list[dict[str, Any]]:
    region = store.get_region(code)
    rows = [{c: row[c] for c in INDICATOR_COLUMNS} for row in store.plan_indicators(code, plan)]
    if plan == LEGACY_PLAN:
        stored = next((row for row in rows if row["kind"] == "energy_intensity"), None)
        legacy = _legacy(region, stored)
        if legacy is not None:
            rows = [legacy if row is stored else row for row in rows] if stored else [legacy, *rows]
    return rows


def region_indicators(store: Store, code: str, *, kind: str | None = None, binding: bool | None = None
                      ) -> list[tuple[str, Indicator]]:
    """Every (plan, indicator) of a region, optionally of one kind or bindingness."""
    plans = set(store.plan_names(code)) | {LEGACY_PLAN}
    found = []
    for plan in sorted(plans):
        for row in plan_rows(store, code, plan):
            if (kind is None or row["kind"] == kind) and (binding is None or bool(row["binding"]) == binding):
                found.append((plan, Indicator.from_dict(row)))
    return found


def region_plan(store: Store, code: str, plan: str) -> dict[str, Any]:
    """A plan's indicators with their units and rates; NotFound when the region has no such plan."""
    rows = plan_rows(store, code, plan)
    if not rows:
        known = sorted(set(store.plan_names(code)) | ({LEGACY_PLAN} if plan_rows(store, code, LEGACY_PLAN) else set()))
        raise NotFound(f"region {code} has no plan {plan!r}; its plans: {', '.join(known) or 'none'}")
    return jsonable({"region": code, "plan": plan,
                     "indicators": [Indicator.from_dict(row).to_dict() for row in rows]})


def set_plan(store: Store, code: str, plan: str, indicators: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Validate and store a plan's indicators (replacing the plan's); returns the plan as :func:`region_plan`.

    The 14th plan's energy-intensity indicator is also the region's intensity target: it needs a base value, and
    the region's ``intensity_*`` settings follow it.
    """
    parsed = [Indicator.from_dict(dict(item)) for item in indicators]
    kinds = [item.kind for item in parsed]
    duplicated = sorted({kind for kind in kinds if kinds.count(kind) > 1})
    if duplicated:
        raise InvalidInput(f"a plan holds one indicator of each kind; repeated: {', '.join(duplicated)}")
    legacy = None
    for item in parsed:
        if plan == LEGACY_PLAN and item.kind == "energy_intensity":
            if item.base_value is None:
                raise InvalidInput(f"the {LEGACY_PLAN} energy-intensity indicator is the region's intensity target: "
                                   "it needs base_value [tce/万元]")
            target = item.target_value if item.target_value is not None else \
                item.base_value * (1 + item.change_pct / 100)  # type: ignore[operator]
            legacy = {"intensity_base_year": item.base_year, "intensity_base_value": item.base_value,
                      "intensity_target_year": item.target_year, "intensity_target_value": target}
    rows = [{c: getattr(item, c) for c in INDICATOR_COLUMNS} for item in parsed]
    store.put_plan(code, plan, rows, legacy_target=legacy)
    return region_plan(store, code, plan)
