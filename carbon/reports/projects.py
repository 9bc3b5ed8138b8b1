"""Project reviews against the region: its figures and plans from the store, stored reviews and decisions.

Stored reviews and decisions are written to the audit log in the same transaction as the rows they describe
(entity ``project``, actions ``create`` and ``decide``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from carbon.audit import chain_entries
from carbon.errors import InvalidInput
from carbon.indicators.plans import Indicator, current_indicator
from carbon.jsonable import jsonable
from carbon.projects import RegionContext, review_project, review_thresholds
from carbon.reports.plan_targets import region_indicators
from carbon.reports.plans import recent_growth_pct, region_values
from carbon.store import Store, now_iso

__all__ = ["APPROVED", "DECISIONS", "decide_project", "project_review", "region_context", "save_project"]

DECISIONS = ("approved", "approved_with_conditions", "rejected")
APPROVED = ("approved", "approved_with_conditions")
KINDS = ("energy_intensity", "co2_intensity", "energy_total", "co2_total", "non_fossil_share")


def _plan_in_force(indicators: list[tuple[str, Indicator]], year: int) -> str | None:
    chosen = current_indicator(indicators, year)
    return chosen[0] if chosen else None


def region_context(store: Store, code: str, *, start_year: int) -> RegionContext:
    """The region's latest figures, the binding indicators of the plan in force in ``start_year`` and the
    approved projects, for :func:`carbon.projects.review_project`."""
    values, notes = region_values(store, code)
    known = values.dropna(subset=["energy_total", "co2_total", "gdp_constant"])
    binding = region_indicators(store, code, binding=True)
    plan = _plan_in_force(binding, start_year)
    chosen = [(name, indicator) for name, indicator in binding if name == plan]
    approved = [{"id": p["id"], "name": p["name"], "start_year": p["start_year"],
                 "annual_tce_equivalent": p["annual_tce_equivalent"], "annual_co2_t": p["annual_co2_t"]}
                for p in store.list_projects(region=code) if p["status"] in APPROVED]
    if known.empty:
        return RegionContext(code=code, indicators=[(n, i, i.base_value) for n, i in chosen], approved=approved,
                             notes=[*notes, "the region has no year with energy, CO2 and GDP"])
    latest = int(known.index[-1])
    row = known.loc[latest]
    if row["projected"]:
        notes.append(f"the region's latest figures are {latest}'s, projected")
    indicators = []
    for name, indicator in chosen:
        measured = values[indicator.kind].get(indicator.base_year, np.nan)
        base = float(measured) if np.isfinite(measured) else indicator.base_value
        indicators.append((name, indicator, base))
    return RegionContext(
        code=code, latest_year=latest, energy_tce=float(row["energy_total"]), co2_t=float(row["co2_total"]),
        gdp_constant=float(row["gdp_constant"]), gdp_growth_pct=recent_growth_pct(values["gdp_constant"]),
        latest_values={kind: float(row[kind]) for kind in KINDS if np.isfinite(row[kind])},
        indicators=indicators, approved=approved, notes=notes)


def project_review(store: Store, project: Mapping[str, Any]) -> dict[str, Any]:
    """The review of a proposed project in its region (nothing is stored)."""
    code = str(project["region"])
    region = store.get_region(code)
    thresholds = review_thresholds(store.review_threshold_overrides(code))
    context = region_context(store, code, start_year=int(project["start_year"]))
    return review_project(project, context, thresholds=thresholds, grid_region=region.get("grid_region"))


def _audit(store: Store, *, actor: str, action: str, project_id: int, old: Any, new: Any, stamp: str) -> None:
    entry = {"ts": stamp, "actor": actor, "action": action, "entity": "project", "entity_key": str(project_id),
             "enterprise_id": None, "batch_id": None, "old": old, "new": new}
    store.append_audit(chain_entries([entry], store.last_audit()))


def save_project(store: Store, project: Mapping[str, Any], *, actor: str) -> dict[str, Any]:
    """Review a project and store it with its review (status ``pending``), audited; returns the stored project."""
    review = project_review(store, project)
    stamp = now_iso()
    row = {"region": review["region"], "name": project.get("name"), "industry": project.get("industry"),
           "kind": project.get("kind"), "start_year": int(project["start_year"]), "status": "pending",
           "annual_tce_equivalent": review["annual_tce_equivalent"], "annual_tce_equal": review["annual_tce_equal"],
           "annual_co2_t": review["annual_co2_t"], "review_level": review["review_level"],
           "verdict": review["verdict"], "request": jsonable(dict(project)), "review": review, "created_by": actor,
           "created_at": stamp}
    with store.transaction():
        project_id = store.insert_project(row)
        _audit(store, actor=actor, action="create", project_id=project_id, old=None, stamp=stamp,
               new={"region": row["region"], "name": row["name"], "annual_tce_equivalent":
                    row["annual_tce_equivalent"], "annual_co2_t": row["annual_co2_t"],
                    "review_level": row["review_level"], "verdict": row["verdict"]})
    return store.get_project(project_id)


def decide_project(store: Store, project_id: int, *, decision: str, reason: str, actor: str) -> dict[str, Any]:
    """Record the bureau's decision on a stored project, audited (old status → new, with the reason)."""
    if decision not in DECISIONS:
        raise InvalidInput(f"unknown decision {decision!r}; decisions: {', '.join(DECISIONS)}")
    if not reason or not reason.strip():
        raise InvalidInput("a decision needs its reason")
    stamp = now_iso()
    with store.transaction():
        before = store.get_project(project_id)
        store.set_project_decision(project_id, status=decision, reason=reason, actor=actor, stamp=stamp)
        _audit(store, actor=actor, action="decide", project_id=project_id, old={"status": before["status"]},
               new={"status": decision, "reason": reason}, stamp=stamp)
    return store.get_project(project_id)
