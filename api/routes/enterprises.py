"""Enterprises and their submissions: monthly consumption, file uploads, meter readings, energy totals."""

from __future__ import annotations

import tempfile
from datetime import date
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, Response, UploadFile, status
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool

from api.answers import model_json
from api.deps import DbDep, EnterpriseDep, Overseer, Reader, RefresherDep, SettingsDep, Submitter, existing_region
from api.downloads import download, export_responses, json_bytes
from api.routes.uploads import QUEUED_RESPONSE, queue_upload, submission_reply
from api.schemas.consumption import ConsumptionExportRow, IngestOut, ReadingsIn
from api.schemas.enterprises import (
    ComplianceOut,
    EnergyOut,
    EnterpriseIn,
    EnterpriseOut,
    OutputIn,
    OutputOut,
    QuotaIn,
    QuotaOut,
    TelemetryOut,
)
from api.schemas.revisions import ConfirmedConsumptionIn, SubmissionOut
from api.upload_checks import one_file_part
from carbon.access import Principal
from carbon.errors import InvalidInput
from carbon.ingest.pipeline import IngestSummary, ingest_file, ingest_readings, ingest_records
from carbon.ingest.readers import UnreadableFile
from carbon.ingest.readers.limits import LimitExceeded, check_file
from carbon.reports import enterprise_compliance, enterprise_energy, enterprise_telemetry
from carbon.reports.cache import recall, remember
from carbon.reports.exports import (
    consumption_frame,
    consumption_records,
    consumption_version,
    to_csv_bytes,
    to_xlsx_bytes,
)
from carbon.reports.refresh import AlertRefresher
from carbon.store import Store

router = APIRouter(prefix="/v1/enterprises", tags=["enterprises"])

UPLOAD_SUFFIXES = {".csv", ".xlsx", ".json", ".txt"}
ISO_TIME = r"^(19|20)\d{2}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])(T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?Z?)?$"
MONTH = r"^(19|20)\d{2}-(0[1-9]|1[0-2])$"
From = Annotated[str | None, Query(alias="from", pattern=MONTH, description="first month, YYYY-MM")]
To = Annotated[str | None, Query(alias="to", pattern=MONTH, description="last month, YYYY-MM")]
Month = Annotated[str, PathParam(pattern=MONTH, description="YYYY-MM")]


def _ingest_out(summary: IngestSummary, refresher: AlertRefresher | None = None,
                enterprise_id: str | None = None) -> dict[str, Any]:
    """The reply to a submission; with ``refresher``, a batch that changed data has its alerts refreshed."""
    if refresher is not None and enterprise_id is not None and (summary.accepted or summary.revised):
        refresher.submit([enterprise_id])
    return submission_reply(summary.to_dict(index_name="index"))


@router.post("", response_model=EnterpriseOut, status_code=status.HTTP_201_CREATED)
def create_enterprise(body: EnterpriseIn, db: DbDep, principal: Overseer) -> dict[str, Any]:
    """Register an enterprise (bureau, admin); an existing id answers 409."""
    existing_region(db, body.region)
    if not db.add_enterprises([body.model_dump()]):
        raise HTTPException(409, f"enterprise {body.id!r} is already registered; GET /v1/enterprises/{body.id} "
                                 "shows it")
    return db.get_enterprise(body.id, principal.scope)


@router.get("", response_model=list[EnterpriseOut])
def list_enterprises(db: DbDep, principal: Reader,
                     region: str | None = Query(default=None, max_length=64)) -> list[dict[str, Any]]:
    """Enterprises the caller may see (an enterprise token sees itself only)."""
    return db.list_enterprises(principal.scope, region=region)


@router.get("/{enterprise_id}", response_model=EnterpriseOut)
def get_enterprise(principal: Reader, enterprise: EnterpriseDep) -> dict[str, Any]:
    return enterprise


@router.post("/{enterprise_id}/consumption", response_model=SubmissionOut)
async def submit_consumption(body: ConfirmedConsumptionIn, db: DbDep, principal: Submitter,
                             enterprise: EnterpriseDep, refresher: RefresherDep) -> Response:
    """Monthly consumption records: validated, converted and stored as one batch; bad records are listed.

    A revision of a stored month by more than half (either way) or of a month past its deadline is held, not
    applied, and listed under ``held``: send the same records again with ``confirm`` and a ``reason`` to apply
    it, or let the bureau review it (`/v1/revisions`). Applied revisions are listed under ``revisions``.
    """

    def submit() -> bytes:  # one hand-over to a worker thread, the reply serialized there too
        records = [record.model_dump(exclude_none=True) for record in body.records]
        summary = ingest_records(db, records, enterprise_id=enterprise["id"], actor=principal.actor,
                                 confirm=body.confirm, reason=body.reason)
        return model_json(SubmissionOut, _ingest_out(summary, refresher, enterprise["id"]))

    return Response(await run_in_threadpool(submit), media_type="application/json")


@router.post("/{enterprise_id}/uploads", response_model=SubmissionOut, dependencies=[Depends(one_file_part)],
             responses=QUEUED_RESPONSE)
def upload_file(request: Request, file: UploadFile, db: DbDep, principal: Submitter, enterprise: EnterpriseDep,
                settings: SettingsDep, refresher: RefresherDep,
                confirm: Annotated[bool, Form(description="apply revisions that would be held")] = False,
                reason: Annotated[str | None, Form(max_length=500, description="why the months change")] = None
                ) -> Any:
    """A CSV, XLSX or JSON file (or a statistics form 205-1), ingested like `carbon ingest` (size is bounded).

    Revisions are held or applied as for `POST …/consumption` (form fields ``confirm`` and ``reason``). A file
    larger than ``CARBON_UPLOAD_ASYNC_BYTES`` is queued as a job and answered 202 with its status URL.
    """
    if confirm and not (reason or "").strip():
        raise HTTPException(422, "a confirmation needs a reason: fill in the form field `reason`")
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
            if written > settings.upload_async_bytes:
                check_file(path, name)  # a file over the readers' limits is refused now, not queued
                return queue_upload(request, db, settings, path, source=name, enterprise_id=enterprise["id"],
                                    actor=principal.actor, confirm=confirm, reason=reason)
            summary = ingest_file(db, path, enterprise_id=enterprise["id"], actor=principal.actor, source=name,
                                  confirm=confirm, reason=reason)
        except LimitExceeded as error:
            raise HTTPException(413, f"{error}") from error
        except UnreadableFile as error:
            raise HTTPException(422, f"{name}: {error}") from error
    return _ingest_out(summary, refresher, enterprise["id"])


@router.post("/{enterprise_id}/readings", response_model=IngestOut)
def submit_readings(body: ReadingsIn, db: DbDep, principal: Submitter, enterprise: EnterpriseDep) -> dict[str, Any]:
    """15-minute meter readings (register or interval values); stored once per meter and timestamp."""
    import pandas as pd

    frame = pd.DataFrame([reading.model_dump(exclude_none=True) for reading in body.readings])
    frame["row"] = range(len(frame))
    summary = ingest_readings(db, [frame], source="api", actor=principal.actor, enterprise_id=enterprise["id"])
    return _ingest_out(summary)


@router.get("/{enterprise_id}/energy", response_model=EnergyOut)
def energy(db: DbDep, principal: Reader, enterprise: EnterpriseDep, start: From = None, end: To = None,
           by: Literal["month", "year", "carrier", "month_carrier"] = "month") -> dict[str, Any]:
    """Energy, tce and CO2 of one enterprise by month, year or carrier, optionally between two months."""
    return enterprise_energy(db, principal.scope, enterprise["id"], by=by, start=start, end=end)


@router.get("/{enterprise_id}/consumption", responses=export_responses(list[ConsumptionExportRow]))
async def consumption(db: DbDep, principal: Reader, enterprise: EnterpriseDep, start: From = None, end: To = None,
                      format: str = Query(default="json", pattern="^(csv|xlsx|json)$")) -> Response:
    """Stored monthly consumption with the statistics form's headers (readable back by `carbon ingest`)."""
    enterprise_id = enterprise["id"]
    key = None
    if format == "json":
        # The rendered answer is reused until this enterprise's rows change (other enterprises' writes keep it).
        # Telling that takes two indexed reads, answered here on the event loop: a hop to a worker thread would
        # cost more than the whole answer. Only a new rendering goes to a thread.
        version = consumption_version(db, enterprise_id)
        key = ("consumption.json", version, start, end) if version is not None else None
        if key is not None and (body := recall(key)) is not None:
            return Response(body, media_type="application/json")
    return await run_in_threadpool(_consumption_answer, db, principal, enterprise_id, start, end, format, key)


def _consumption_answer(db: Store, principal: Principal, enterprise_id: str, start: str | None, end: str | None,
                        format: str, key: tuple[Any, ...] | None) -> Response:
    """The stored consumption as a download in ``format``; JSON kept under ``key`` (if any) for the next reader."""
    if format == "json":
        body = json_bytes(consumption_records(db, principal.scope, enterprise_id, start=start, end=end))
        return Response(body if key is None else remember(key, body), media_type="application/json")
    frame = consumption_frame(db, principal.scope, enterprise_id, start=start, end=end)
    if format == "csv":
        return download(to_csv_bytes(frame), "csv", f"{enterprise_id}-consumption")
    return download(to_xlsx_bytes({"consumption": frame}), "xlsx", f"{enterprise_id}-consumption")


@router.put("/{enterprise_id}/quotas/{year}", response_model=QuotaOut)
def put_quota(year: Annotated[int, PathParam(ge=2000, le=2100)], body: QuotaIn, db: DbDep, principal: Overseer,
              enterprise: EnterpriseDep) -> dict[str, Any]:
    """Set the enterprise's energy-use quota for a year (bureau, admin)."""
    return db.put_quota(enterprise["id"], year, body.quota_tce, basis=body.basis, source=body.source)


@router.put("/{enterprise_id}/output/{period}", response_model=OutputOut)
def put_output(period: Month, body: OutputIn, db: DbDep, principal: Submitter,
               enterprise: EnterpriseDep) -> dict[str, Any]:
    """Report a month's output value and product output (for energy per output and unit-product energy)."""
    if period > date.today().strftime("%Y-%m"):
        raise InvalidInput(f"period {period} is in the future; report output for past months")
    rows = [{"product": "", "output_value": body.output_value}] if body.output_value is not None else []
    rows += [product.model_dump() for product in body.products]
    return {"enterprise_id": enterprise["id"], "period": period, "rows": db.put_output(enterprise["id"], period, rows)}


@router.get("/{enterprise_id}/compliance", response_model=ComplianceOut, response_model_exclude_unset=True)
def compliance(db: DbDep, principal: Reader, enterprise: EnterpriseDep,
               year: Annotated[int, Query(ge=2000, le=2100)]) -> dict[str, Any]:
    """Energy and CO2 with coverage, quota use and projection, energy per output, unit-product energy grades."""
    return enterprise_compliance(db, principal.scope, enterprise["id"], year)


@router.get("/{enterprise_id}/telemetry", response_model=TelemetryOut)
def telemetry(db: DbDep, principal: Reader, enterprise: EnterpriseDep,
              start: Annotated[str | None, Query(alias="from", pattern=ISO_TIME, description="ISO date/time")] = None,
              end: Annotated[str | None, Query(alias="to", pattern=ISO_TIME, description="ISO date/time")] = None
              ) -> dict[str, Any]:
    """Per meter: readings, energy, and data quality (completeness per day, gaps, resets)."""
    return enterprise_telemetry(db, principal.scope, enterprise["id"], start=start, end=end)
