"""Enterprises and their submissions: monthly consumption, file uploads, meter readings, energy totals."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, HTTPException, Query, Response, UploadFile, status
from fastapi import Path as PathParam
from pydantic import BaseModel, Field, model_validator

from api.deps import DbDep, Overseer, Reader, SettingsDep, Submitter, enterprise_scope
from api.downloads import EXPORT_RESPONSES, download
from api.revision_schemas import ConfirmedConsumptionIn, SubmissionOut
from api.schemas import EnergyOut, EnterpriseIn, EnterpriseOut, IngestOut, ReadingsIn
from carbon.ingest.pipeline import IngestSummary, ingest_file, ingest_readings, ingest_records
from carbon.jsonable import records
from carbon.reports import enterprise_compliance, enterprise_energy, enterprise_telemetry
from carbon.reports.alerts import refresh_after_batch
from carbon.reports.exports import consumption_frame, to_csv_bytes, to_xlsx_bytes
from carbon.store import Store

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

UPLOAD_SUFFIXES = {".csv", ".xlsx", ".json", ".txt"}
ISO_TIME = r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?Z?)?$"
From = Annotated[str | None, Query(alias="from", pattern=r"^\d{4}-\d{2}$", description="first month, YYYY-MM")]
To = Annotated[str | None, Query(alias="to", pattern=r"^\d{4}-\d{2}$", description="last month, YYYY-MM")]


def _ingest_out(summary: IngestSummary, db: Store | None = None, enterprise_id: str | None = None) -> dict[str, Any]:
    """The reply to a submission; with ``db``, the alerts of a batch that changed data are refreshed first."""
    record = summary.to_dict(index_name="index")
    if db is not None and enterprise_id is not None and (summary.accepted or summary.revised):
        refresh_after_batch(db, [enterprise_id])
    return {"batch_id": record["batch_id"], "source": record["source"], "read": record["read"],
            "accepted": record["accepted"], "unchanged": record["unchanged"], "revised": record["revised"],
            "rejected": record["rejections"], "rejected_count": record["rejected"],
            "revisions": record["revisions"], "held": record["held"]}


@router.post("", response_model=EnterpriseOut, status_code=status.HTTP_201_CREATED)
def create_enterprise(body: EnterpriseIn, db: DbDep, principal: Overseer) -> dict[str, Any]:
    """Register an enterprise (bureau, admin); an existing id answers 409."""
    if not db.add_enterprises([body.model_dump()]):
        raise HTTPException(409, f"enterprise {body.id!r} is already registered")
    return db.get_enterprise(body.id, principal.scope)


@router.get("", response_model=list[EnterpriseOut])
def list_enterprises(db: DbDep, principal: Reader,
                     region: str | None = Query(default=None, max_length=64)) -> list[dict[str, Any]]:
    """Enterprises the caller may see (an enterprise token sees itself only)."""
    return db.list_enterprises(principal.scope, region=region)


@router.get("/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(enterprise_id: str, db: DbDep, principal: Reader) -> dict[str, Any]:
    enterprise_scope(enterprise_id, principal)
    return db.get_enterprise(enterprise_id, principal.scope)


@router.post("/{enterprise_id}/consumption", response_model=SubmissionOut)
def submit_consumption(enterprise_id: str, body: ConfirmedConsumptionIn, db: DbDep,
                       principal: Submitter) -> dict[str, Any]:
    """Monthly consumption records: validated, converted and stored as one batch; bad records are listed.

    A revision of a stored month by more than half (either way) or of a month past its deadline is held, not
    applied, and listed under ``held``: send the same records again with ``confirm`` and a ``reason`` to apply
    it, or let the bureau review it (`/v1/revisions`). Applied revisions are listed under ``revisions``.
    """
    enterprise_scope(enterprise_id, principal)
    db.get_enterprise(enterprise_id, principal.scope)
    records = [record.model_dump(exclude_none=True) for record in body.records]
    summary = ingest_records(db, records, enterprise_id=enterprise_id, actor=principal.actor, confirm=body.confirm,
                             reason=body.reason)
    return _ingest_out(summary, db, enterprise_id)


@router.post("/{enterprise_id}/uploads", response_model=SubmissionOut)
def upload_file(enterprise_id: str, file: UploadFile, db: DbDep, principal: Submitter, settings: SettingsDep,
                confirm: Annotated[bool, Form(description="apply revisions that would be held")] = False,
                reason: Annotated[str | None, Form(max_length=500, description="why the months change")] = None
                ) -> dict[str, Any]:
    """A CSV, XLSX or JSON file (or a statistics form 205-1), ingested like `carbon ingest` (size is bounded).

    Revisions are held or applied as for `POST …/consumption` (form fields ``confirm`` and ``reason``).
    """
    from carbon.ingest.readers import UnreadableFile

    if confirm and not (reason or "").strip():
        raise HTTPException(422, "a confirmation needs a reason: fill in the form field `reason`")
    enterprise_scope(enterprise_id, principal)
    db.get_enterprise(enterprise_id, principal.scope)
    name = Path(file.filename or "upload.csv").name
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        raise HTTPException(415, f"{name}: upload a .csv, .xlsx or .json file")
    with tempfile.TemporaryDirectory(prefix="carbon-upload-") as folder:
        path = Path(folder) / f"upload{suffix}"
        written = 0
        with path.open("wb") as handle:
            while chunk := file.file.read(1024 * 1024):
                written += len(chunk)
                if written > settings.max_upload_bytes:
                    raise HTTPException(413, f"the file is larger than {settings.max_upload_mb:g} MB; split it "
                                             "into several uploads")
                handle.write(chunk)
        try:
            summary = ingest_file(db, path, enterprise_id=enterprise_id, actor=principal.actor, source=name,
                                  confirm=confirm, reason=reason)
        except UnreadableFile as error:
            raise HTTPException(422, f"{name}: {error}") from error
    return _ingest_out(summary, db, enterprise_id)


@router.post("/{enterprise_id}/readings", response_model=IngestOut)
def submit_readings(enterprise_id: str, body: ReadingsIn, db: DbDep, principal: Submitter) -> dict[str, Any]:
    """15-minute meter readings (register or interval values); stored once per meter and timestamp."""
    import pandas as pd

    enterprise_scope(enterprise_id, principal)
    db.get_enterprise(enterprise_id, principal.scope)
    frame = pd.DataFrame([reading.model_dump(exclude_none=True) for reading in body.readings])
    frame["row"] = range(len(frame))
    summary = ingest_readings(db, [frame], source="api", actor=principal.actor, enterprise_id=enterprise_id)
    return _ingest_out(summary)


@router.get("/{enterprise_id}/energy", response_model=EnergyOut)
def energy(enterprise_id: str, db: DbDep, principal: Reader, start: From = None, end: To = None,
           by: Literal["month", "year", "carrier", "month_carrier"] = "month") -> dict[str, Any]:
    """Energy, tce and CO2 of one enterprise by month, year or carrier, optionally between two months."""
    enterprise_scope(enterprise_id, principal)
    db.get_enterprise(enterprise_id, principal.scope)
    return enterprise_energy(db, principal.scope, enterprise_id, by=by, start=start, end=end)


@router.get("/{enterprise_id}/consumption", responses=EXPORT_RESPONSES)
def consumption(enterprise_id: str, db: DbDep, principal: Reader, start: From = None, end: To = None,
                format: str = Query(default="json", pattern="^(csv|xlsx|json)$")) -> Response:
    """Stored monthly consumption with the statistics form's headers (readable back by `carbon ingest`)."""
    enterprise_scope(enterprise_id, principal)
    db.get_enterprise(enterprise_id, principal.scope)
    frame = consumption_frame(db, principal.scope, enterprise_id, start=start, end=end)
    if format == "json":
        return download(None, "json", enterprise_id, records(frame))
    if format == "csv":
        return download(to_csv_bytes(frame), "csv", f"{enterprise_id}-consumption")
    return download(to_xlsx_bytes({"consumption": frame}), "xlsx", f"{enterprise_id}-consumption")


class QuotaIn(BaseModel):
    quota_tce: float = Field(gt=0, le=1e9, description="energy-use quota (用能权) of the year [tce]")
    basis: Literal["equivalent", "equal"] = "equivalent"
    source: str | None = Field(default=None, max_length=200)


class ProductOut(BaseModel):
    product: str = Field(min_length=1, max_length=64, description="e.g. cement_clinker (see /v1/screenings/products)")
    quantity: float = Field(ge=0, le=1e12)
    unit: str = Field(min_length=1, max_length=32, description="e.g. t")


class OutputIn(BaseModel):
    output_value: float | None = Field(default=None, ge=0, le=1e12, description="output value of the month [万元]")
    products: list[ProductOut] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct_products(self) -> OutputIn:
        names = [product.product for product in self.products]
        if len(names) != len(set(names)):
            raise ValueError("each product once per month; add up the quantities of a repeated product")
        return self


@router.put("/{enterprise_id}/quotas/{year}")
def put_quota(enterprise_id: str, year: Annotated[int, PathParam(ge=2000, le=2100)], body: QuotaIn, db: DbDep,
              principal: Overseer) -> dict[str, Any]:
    """Set the enterprise's energy-use quota for a year (bureau, admin)."""
    return db.put_quota(enterprise_id, year, body.quota_tce, basis=body.basis, source=body.source)


@router.put("/{enterprise_id}/output/{period}")
def put_output(enterprise_id: str, period: Annotated[str, PathParam(pattern=r"^(19|20)\d{2}-(0[1-9]|1[0-2])$")],
               body: OutputIn, db: DbDep, principal: Submitter) -> dict[str, Any]:
    """Report a month's output value and product output (for energy per output and unit-product energy)."""
    enterprise_scope(enterprise_id, principal)
    rows = [{"product": "", "output_value": body.output_value}] if body.output_value is not None else []
    rows += [product.model_dump() for product in body.products]
    return {"enterprise_id": enterprise_id, "period": period, "rows": db.put_output(enterprise_id, period, rows)}


@router.get("/{enterprise_id}/compliance")
def compliance(enterprise_id: str, db: DbDep, principal: Reader,
               year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """Energy and CO2 with coverage, quota use and projection, energy per output, unit-product energy grades."""
    enterprise_scope(enterprise_id, principal)
    return enterprise_compliance(db, principal.scope, enterprise_id, year)


@router.get("/{enterprise_id}/telemetry")
def telemetry(enterprise_id: str, db: DbDep, principal: Reader,
              start: Annotated[str | None, Query(alias="from", pattern=ISO_TIME, description="ISO date/time")] = None,
              end: Annotated[str | None, Query(alias="to", pattern=ISO_TIME, description="ISO date/time")] = None
              ) -> dict[str, Any]:
    """Per meter: readings, energy, and data quality (completeness per day, gaps, resets)."""
    enterprise_scope(enterprise_id, principal)
    return enterprise_telemetry(db, principal.scope, enterprise_id, start=start, end=end)
