"""Plans of a region: indicators per plan period, and the assessment (考核) of a plan, also as XLSX or DOCX."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query

from api.deps import Analyst, DbDep, Overseer
from api.downloads import download, export_responses
from api.schemas.plans import AssessmentOut, PlanIn, PlanListOut, PlanOut
from carbon.reports.document import assessment_docx
from carbon.reports.exports import to_xlsx_bytes
from carbon.reports.plan_targets import plan_rows, region_plan, set_plan
from carbon.reports.plans import assessment_frames, plan_assessment
from carbon.store import now_iso
from carbon.store.plans import LEGACY_PLAN

router = APIRouter(prefix="/v1/regions", tags=["plans"])

PlanName = Path(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$", description="plan period, e.g. 14th-fyp, 15th-fyp")


@router.get("/{code}/plans", response_model=PlanListOut)
def list_plans(code: str, db: DbDep, principal: Analyst) -> dict[str, Any]:
    """The region's plan periods."""
    db.get_region(code)
    plans = set(db.plan_names(code)) | ({LEGACY_PLAN} if plan_rows(db, code, LEGACY_PLAN) else set())
    return {"region": code, "plans": sorted(plans)}


@router.get("/{code}/plans/{plan}", response_model=PlanOut)
def get_plan(code: str, db: DbDep, principal: Analyst, plan: str = PlanName) -> dict[str, Any]:
    """A plan's indicators with their units, planned change and constant-rate path [%/yr]."""
    return region_plan(db, code, plan)


@router.put("/{code}/plans/{plan}", response_model=PlanOut)
def put_plan(code: str, body: PlanIn, db: DbDep, principal: Overseer, plan: str = PlanName) -> dict[str, Any]:
    """Set a plan's indicators (the list replaces the plan's). The 14th-fyp energy-intensity indicator is the
    region's intensity target (as set by POST /v1/regions): it needs `base_value`, and both stay equal."""
    return set_plan(db, code, plan, [item.model_dump() for item in body.indicators])


@router.get("/{code}/plans/{plan}/assessment", response_model=AssessmentOut, responses=export_responses(AssessmentOut))
def assessment(code: str, db: DbDep, principal: Analyst, plan: str = PlanName,
               format: str = Query(default="json", pattern="^(json|xlsx|docx)$")) -> Any:
    """Every indicator of the plan year by year against its path (achieved or not), the cumulative result, the
    share of the planned change achieved; years without data say so, a projected year says so. As JSON, an XLSX
    table, or a printable DOCX (per indicator: year, value, path value, achieved, status; the result; notes)."""
    report = plan_assessment(db, code, plan)
    if format == "docx":
        return download(assessment_docx(report, generated_at=now_iso()), "docx", f"{code}-{plan}-assessment")
    if format == "xlsx":
        return download(to_xlsx_bytes(assessment_frames(report)), "xlsx", f"{code}-{plan}-assessment")
    return report
