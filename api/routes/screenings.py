"""Green-finance screening against catalogue criteria, from stated metrics or from an enterprise's data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query

from api.deps import DbDep, Reader, visible_enterprise
from api.schemas.screening import ActivityOut, ProductLimitOut, ScreeningIn, ScreeningOut
from carbon.reports import enterprise_metrics
from carbon.screening import list_activities, list_frameworks, list_products, screen

router = APIRouter(prefix="/v1/screenings", tags=["screening"])


@router.post("", response_model=ScreeningOut, response_model_exclude_unset=True)
def screening(body: ScreeningIn, db: DbDep, principal: Reader) -> dict[str, Any]:
    """Eligibility and alignment, criterion by criterion, with sources; a missing metric never passes."""
    measured = None
    metrics = dict(body.metrics or {})
    industry = None
    if body.enterprise_id is not None:
        enterprise = visible_enterprise(db, principal, body.enterprise_id)
        industry = enterprise.get("industry") or ""  # checked against the activity's GB/T 4754 classes
        measured = enterprise_metrics(db, principal.scope, body.enterprise_id, body.year)
        metrics = {**measured["metrics"], **metrics}  # stated metrics complete or override measured ones
    result = screen(body.framework, body.activity, metrics, industry=industry).to_dict()
    if measured is not None:
        result.update(enterprise_id=body.enterprise_id, year=measured["year"], metrics_from_data=measured["metrics"],
                      coverage=measured["coverage"], notes=measured["notes"])
    return result


@router.get("/activities", response_model=list[ActivityOut])
def activities(principal: Reader,
               framework: str | None = Query(default=None, max_length=64)) -> list[dict[str, Any]]:
    """Activities of a framework (or of all) with the metrics each needs, for a form."""
    if framework is not None and framework not in list_frameworks():
        raise HTTPException(404, f"no framework {framework!r}; frameworks: {', '.join(list_frameworks())}")
    return list_activities(framework)


@router.get("/products", response_model=list[ProductLimitOut])
def products(principal: Reader) -> list[dict[str, Any]]:
    """Products with 能耗限额 limit, entry and advanced values (unit-product energy)."""
    return list_products()
