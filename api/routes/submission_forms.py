"""What an enterprise needs to fill in a submission: the carrier catalogue and templates to download."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response

from api.deps import DbDep, EnterpriseDep, Reader, Submitter
from api.downloads import download, file_responses
from api.schemas.revisions import CarrierOut
from carbon.compliance import last_due_month
from carbon.reports.exports import to_csv_bytes, to_xlsx_bytes
from carbon.reports.templates import carrier_catalogue, consumption_template, form205_template

router = APIRouter(prefix="/v1", tags=["submission forms"])

Period = Annotated[str | None, Query(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$",
                                     description="the month to report, YYYY-MM (default: the last one due)")]


@router.get("/carriers", response_model=list[CarrierOut])
def carriers(principal: Reader) -> list[dict[str, Any]]:
    """Energy carriers: id, Chinese and English names, kind, and the units the statistics forms use."""
    return carrier_catalogue()


@router.get("/enterprises/{enterprise_id}/templates/{kind}", response_class=Response,
            responses=file_responses("csv", "xlsx"))
def template(kind: Literal["csv", "xlsx", "form205"], db: DbDep, principal: Submitter, enterprise: EnterpriseDep,
             period: Period = None) -> Response:
    """A template to fill in for one month: the consumption table (CSV, XLSX) or form 205-1 (XLSX), one line
    per carrier the enterprise reports (a few common ones when it has reported none), quantities blank."""
    enterprise_id = enterprise["id"]
    period = period or last_due_month(date.today())
    reported = db.consumption(principal.scope, enterprise_id=enterprise_id, columns=("carrier",))
    carriers = sorted(set(reported["carrier"]), key=lambda c: (c != "electricity", c))
    name = f"{enterprise_id}-{period}"
    if kind == "form205":
        return download(form205_template(enterprise, period, carriers), "xlsx", f"{name}-205-1")
    frame = consumption_template(enterprise_id, period, carriers)
    if kind == "csv":
        return download(to_csv_bytes(frame), "csv", name)
    return download(to_xlsx_bytes({"consumption": frame}), "xlsx", name)
