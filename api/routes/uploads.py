"""Upload jobs: a large upload is queued and answered 202; its status URL shows the progress, then the result."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi import Path as PathParam
from fastapi.responses import JSONResponse

from api.deps import DbDep, Submitter
from api.schemas.uploads import UploadOut
from api.settings import Settings
from carbon.errors import Busy, NotFound
from carbon.ingest.uploads import UploadWorker, spool_folder, spool_path
from carbon.store import Store

router = APIRouter(prefix="/v1/uploads", tags=["uploads"])

QUEUED_RESPONSE: dict[int | str, dict[str, Any]] = {status.HTTP_202_ACCEPTED: {
    "model": UploadOut,
    "description": "a file larger than `CARBON_UPLOAD_ASYNC_BYTES` is queued: GET the `Location` (the body's "
                   "`status_url`) until its status is `done` (with this reply under `result`) or `failed`",
}}


def submission_reply(record: dict[str, Any]) -> dict[str, Any]:
    """A batch's summary (:meth:`~carbon.ingest.batch.IngestSummary.to_dict`, rows as ``index``) as the reply to
    a submission (:class:`api.schemas.revisions.SubmissionOut`)."""
    return {"batch_id": record["batch_id"], "source": record["source"], "read": record["read"],
            "accepted": record["accepted"], "unchanged": record["unchanged"], "revised": record["revised"],
            "rejected": record["rejections"], "rejected_count": record["rejected"],
            "revisions": record["revisions"], "held": record["held"]}


def _worker(request: Request) -> UploadWorker:
    return request.app.state.upload_worker


def _view(job: dict[str, Any], worker: UploadWorker, *, with_result: bool = True) -> dict[str, Any]:
    """A job as :class:`UploadOut`: progress while it runs here, the reply when done (unless not
    ``with_result``), the reason when failed."""
    rows = worker.progress(job["id"]) if job["status"] == "running" else None
    return {"id": job["id"], "status": job["status"], "status_url": f"/v1/uploads/{job['id']}",
            "enterprise_id": job["enterprise_id"], "source": job["source"], "bytes": job["bytes"],
            "queued_at": job["queued_at"], "started_at": job["started_at"], "finished_at": job["finished_at"],
            "progress": {"rows_read": rows} if rows is not None else None,
            "result": (submission_reply(job["result"]) if with_result and job["status"] == "done" and job["result"]
                       else None),
            "error": job["error"] if job["status"] == "failed" else None}


def queue_upload(request: Request, db: Store, settings: Settings, path: Path, *, source: str,
                 enterprise_id: str, actor: str, confirm: bool, reason: str | None) -> JSONResponse:
    """Move a received file into the spool folder, queue its job and answer 202 with its status URL.

    Raises
    ------
    carbon.errors.Busy
        When ``CARBON_UPLOAD_QUEUE`` jobs wait already (503 with Retry-After).
    """
    worker = _worker(request)
    waiting = db.queued_uploads(worker.host)
    if waiting >= settings.upload_queue:
        raise Busy(f"{waiting} large uploads are waiting to be processed already")
    size = path.stat().st_size
    target = spool_path(spool_folder(settings.db, settings.upload_spool), source)
    shutil.move(path, target)
    try:
        job = db.add_upload({"enterprise_id": enterprise_id, "source": source, "bytes": size, "spool": str(target),
                             "host": worker.host, "confirm": confirm, "reason": reason, "actor": actor})
    except BaseException:
        target.unlink(missing_ok=True)  # no job names it: it must not wait for the sweep
        raise
    worker.wake()
    body = _view(job, worker)
    return JSONResponse(body, status_code=status.HTTP_202_ACCEPTED, headers={"Location": body["status_url"]})


@router.get("", response_model=list[UploadOut])
def list_uploads(request: Request, db: DbDep, principal: Submitter,
                 limit: Annotated[int, Query(ge=1, le=500)] = 50) -> list[dict[str, Any]]:
    """The newest upload jobs the caller may see (an enterprise its own), newest first; without their results
    (a result lists every rejected row): GET a job's ``status_url`` for it."""
    worker = _worker(request)
    return [_view(job, worker, with_result=False) for job in db.uploads(principal.scope, limit=limit)]


@router.get("/{upload_id}", response_model=UploadOut)
def get_upload(request: Request, db: DbDep, principal: Submitter,
               upload_id: Annotated[int, PathParam(ge=1, le=2**62)]) -> dict[str, Any]:
    """An upload job: ``queued``, ``running`` (rows read so far), ``done`` (the reply a synchronous upload gives)
    or ``failed`` (what to do next). Another enterprise's job answers 404."""
    try:
        job = db.upload(upload_id, principal.scope)
    except NotFound:
        raise HTTPException(404, f"no upload {upload_id}; GET /v1/uploads lists the uploads you may see") from None
    return _view(job, _worker(request))
