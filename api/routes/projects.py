"""Energy and carbon review of proposed investment projects (节能审查 / 项目碳评价), stored reviews, decisions."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, status

from api.deps import Analyst, DbDep, Overseer
from api.schemas.plans import DecisionIn, ProjectIn, ProjectOut, ReviewOut, ThresholdsIn, ThresholdsOut
from carbon.projects import review_thresholds
from carbon.reports.projects import decide_project, project_review, save_project

router = APIRouter(prefix="/v1", tags=["projects"])

ProjectId = Path(ge=1, le=2**62, description="the id POST /v1/projects answered")


@router.post("/projects/review", response_model=ReviewOut)
def review(body: ProjectIn, db: DbDep, principal: Analyst) -> dict[str, Any]:
    """Review a project without storing it: annual tce (当量值 and 等价值), CO2 and per carrier with the factors
    used, the review level, its intensities and shares against the region and the room left under each binding
    indicator, its products against their 能耗限额, optional green screening, a verdict with reasons."""
    return project_review(db, body.model_dump())


@router.post("/projects", response_model=ProjectOut, status_code=status.HTTP_201_CREATED)
def create_project(body: ProjectIn, db: DbDep, principal: Analyst) -> dict[str, Any]:
    """Review a project and store it with its review (status pending; audited)."""
    return save_project(db, body.model_dump(), actor=principal.actor)


@router.get("/projects", response_model=list[ProjectOut])
def list_projects(db: DbDep, principal: Analyst, region: str | None = Query(default=None, max_length=64),
                  status: str | None = Query(default=None, pattern="^(pending|approved|approved_with_conditions|"
                                                                   "rejected)$")) -> list[dict[str, Any]]:
    return db.list_projects(region=region, status=status)


@router.get("/projects/{project_id}", response_model=ProjectOut)
def get_project(db: DbDep, principal: Analyst, project_id: int = ProjectId) -> dict[str, Any]:
    return db.get_project(project_id)


@router.post("/projects/{project_id}/decision", response_model=ProjectOut)
def decide(body: DecisionIn, db: DbDep, principal: Overseer, project_id: int = ProjectId) -> dict[str, Any]:
    """Record the decision (approved, approved_with_conditions, rejected) with its reason; audited. Approved
    projects count against the region's room in later reviews from their start year."""
    return decide_project(db, project_id, decision=body.decision, reason=body.reason, actor=principal.actor)


@router.get("/regions/{code}/review-thresholds", response_model=ThresholdsOut)
def get_thresholds(code: str, db: DbDep, principal: Analyst) -> dict[str, Any]:
    """The review-level thresholds in force for the region, with their sources."""
    db.get_region(code)
    overrides = db.review_threshold_overrides(code)
    return {"region": code, "thresholds": review_thresholds(overrides).to_dict(), "overrides": overrides}


@router.put("/regions/{code}/review-thresholds", response_model=ThresholdsOut)
def put_thresholds(code: str, body: ThresholdsIn, db: DbDep, principal: Overseer) -> dict[str, Any]:
    """Override review-level thresholds for the region (each with its source); a null value removes one."""
    values = {name: item for name, item in body.model_dump(exclude_unset=True).items() if item is not None}
    review_thresholds({name: item for name, item in values.items() if item.get("value") is not None})
    db.put_review_thresholds(code, values)
    return get_thresholds(code, db, principal)
