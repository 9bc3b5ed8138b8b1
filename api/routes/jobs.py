"""Scheduled jobs: their schedule and last run; run one now."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request
from starlette.concurrency import run_in_threadpool

from api.deps import Admin, DbDep, Overseer, SettingsDep
from api.schemas.operations import JobOut, JobRunOut
from carbon.jobs import list_jobs, registered_jobs, run_job

router = APIRouter(prefix="/v1/jobs", tags=["jobs"])


@router.get("", response_model=list[JobOut])
def jobs(request: Request, db: DbDep, principal: Overseer) -> list[dict[str, Any]]:
    """The scheduled jobs with their schedule, next run (on the instance that runs the scheduler) and last run."""
    return list_jobs(db, getattr(request.app.state, "scheduler", None))


@router.post("/{name}/run", response_model=JobRunOut)
async def run(name: str, principal: Admin, settings: SettingsDep) -> dict[str, Any]:
    """Run a job now and wait for it; a run already in progress makes this one answer `skipped`."""
    if name not in registered_jobs():
        raise HTTPException(404, f"no job {name!r}; jobs: {', '.join(sorted(registered_jobs()))} (GET /v1/jobs)")
    return await run_in_threadpool(run_job, name, settings.db)
