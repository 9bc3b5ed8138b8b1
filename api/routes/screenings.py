"""Green-finance screening against catalogue criteria, from stated metrics or from an enterprise's data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Query
from pydantic import BaseModel, Field, model_validator

from api.deps import DbDep, Reader, enterprise_scope
from carbon.reports import enterprise_metrics
from carbon.screening import list_activities, list_frameworks, list_products, screen

router = APIRouter(prefix="/v1/screenings", tags=["screening"])


class ScreeningIn(BaseModel):
    framework: str = Field(min_length=1, max_length=64, description="eu_taxonomy or cn_green_finance_2025")
    activity: str = Field(min_length=1, max_length=128)
    metrics: dict[str, float | str | bool] | None = Field(default=None, max_length=50)
    enterprise_id: str | None = Field(default=None, max_length=64,
                                      description="screen from this enterprise's stored data instead of metrics")
    year: int | None = Field(default=None, ge=2000, le=2100)

    @model_validator(mode="after")
    def _one_source(self) -> ScreeningIn:
        if self.metrics is None and self.enterprise_id is None:
            raise ValueError("give either metrics or an enterprise_id (with a year) to screen from stored data")
        if self.enterprise_id is not None and self.year is None:
            raise ValueError("screening from stored data needs the year")
        return self


@router.post("")
def screening(body: ScreeningIn, db: DbDep, principal: Reader) -> dict[str, Any]:
    """Eligibility and alignment, criterion by criterion, with sources; a missing metric never passes."""
    measured = None
    metrics = dict(body.metrics or {})
    if body.enterprise_id is not None:
        enterprise_scope(body.enterprise_id, principal)
        measured = enterprise_metrics(db, principal.scope, body.enterprise_id, int(body.year))
        metrics = {**measured["metrics"], **metrics}  # stated metrics complete or override measured ones
    result = screen(body.framework, body.activity, metrics).to_dict()
    if measured is not None:
        result.update(enterprise_id=body.enterprise_id, year=body.year, metrics_from_data=measured["metrics"],
                      coverage=measured["coverage"], notes=measured["notes"])
    return result


@router.get("/activities")
def activities(principal: Reader,
               framework: str | None = Query(default=None, max_length=64)) -> list[dict[str, Any]]:
    """Activities of a framework (or of all) with the metrics each needs, for a form."""
    if framework is not None and framework not in list_frameworks():
        raise HTTPException(404, f"no framework {framework!r}; frameworks: {', '.join(list_frameworks())}")
    return list_activities(framework)


@router.get("/products")
def products(principal: Reader) -> list[dict[str, Any]]:
    """Products with 能耗限额 limit, entry and advanced values (unit-product energy)."""
    return list_products()
