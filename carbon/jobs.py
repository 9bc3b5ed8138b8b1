"""Scheduled jobs: their registry, their runs, and the scheduler (APScheduler 3) — the only module that knows it.

Jobs declare themselves where their work lives (:func:`job`: the ingestion jobs in :mod:`carbon.ingest.tasks`,
the alert jobs in :mod:`carbon.reports.alerts`). They are kept in a persistent job store in the service's
database, so schedules and next run times survive restarts. Runs never overlap (one instance per job in the
scheduler, and a lock row in the database against a manual run or a second process), misfires are coalesced
into one run, and every run is recorded with its start, end, status, counts and error.
"""

from __future__ import annotations

import importlib
import logging
import os
import socket
import threading
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler

from carbon.store import SCHEDULER_JOBS_TABLE, SchedulerLock, Store, default_db_path, is_postgresql, open_store

__all__ = [
    "JOBS", "JobSpec", "create_scheduler", "ensure_jobs", "job", "list_jobs", "registered_jobs", "run_job",
]

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
JobFunction = Callable[[Store], dict[str, Any]]


@dataclass(frozen=True)
class JobSpec:
    """A job: what it runs and when."""

    name: str
    function: JobFunction
    trigger: Callable[[], Any]
    description: str


# Every job of the service, by name: filled by the modules below as they are imported (see :func:`job`).
JOBS: dict[str, JobSpec] = {}
# The modules that declare jobs; imported on first use of the registry, so this module depends on none of them.
JOB_MODULES: tuple[str, ...] = ("carbon.ingest.tasks", "carbon.reports.alerts")


def job(name: str, trigger: Callable[[], Any], description: str) -> Callable[[JobFunction], JobFunction]:
    """Declare a function ``f(store) -> counts`` a scheduled job (a decorator)."""

    def register(function: JobFunction) -> JobFunction:
        JOBS[name] = JobSpec(name, function, trigger, description)
        return function

    return register


def registered_jobs() -> dict[str, JobSpec]:
    """The registry, with every job module imported."""
    for module in JOB_MODULES:
        importlib.import_module(module)
    return JOBS


# -- running ------------------------------------------------------------------------------------------------

def run_job(name: str, db_path: str | None = None) -> dict[str, Any]:
    """Run one job now, unless another run of it holds the lock; record the run.

    This is also the callable the scheduler stores (by reference, so it survives restarts).

    Returns
    -------
    dict
        ``job``, ``run_id``, ``status`` (``ok``, ``failed`` or ``skipped``), ``counts``, ``error``.
    """
    jobs = registered_jobs()
    if name not in jobs:
        raise KeyError(f"unknown job {name!r}; jobs: {', '.join(sorted(jobs))}")
    store = open_store(db_path)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        run_id = store.start_job_run(name)
        if not store.acquire_job_lock(name, owner):
            store.finish_job_run(run_id, status="skipped", error="another run of this job is in progress")
            return {"job": name, "run_id": run_id, "status": "skipped", "counts": {},
                    "error": "another run of this job is in progress"}
        try:
            counts = jobs[name].function(store)
        except Exception as error:  # a job's failure is recorded, never lost, and never kills the scheduler
            log.exception("job %s failed", name)
            store.finish_job_run(run_id, status="failed", error=f"{error}\n{traceback.format_exc(limit=5)}")
            return {"job": name, "run_id": run_id, "status": "failed", "counts": {}, "error": str(error)}
        finally:
            store.release_job_lock(name, owner)
        store.finish_job_run(run_id, status="ok", counts=counts)
        return {"job": name, "run_id": run_id, "status": "ok", "counts": counts, "error": None}
    finally:
        store.close()


def _jobstore_url(db: str) -> str:
    if is_postgresql(db):
        return "postgresql+psycopg://" + db.split("://", 1)[1]
    return f"sqlite:///{Path(db).resolve()}"


class Scheduling:
    """This instance's part in running the schedule: it runs the jobs while it holds the scheduler lock, and
    otherwise stands by, trying every ``poll_seconds`` to take over (so a dead leader is replaced).

    Together with the job store in the shared database this makes every scheduled run happen once across
    instances, however many API instances serve the same database.
    """

    def __init__(self, db: str, *, poll_seconds: float = 15.0) -> None:
        self.db = db
        self.poll_seconds = poll_seconds
        self.lock = SchedulerLock(db)
        self.scheduler = BackgroundScheduler(
            # the table is made by the store's migrations: the job store finds it and creates nothing
            jobstores={"default": SQLAlchemyJobStore(url=_jobstore_url(db), tablename=SCHEDULER_JOBS_TABLE)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
            timezone=TIMEZONE,
        )
        self._stop = threading.Event()
        self._watcher: threading.Thread | None = None

    @property
    def leading(self) -> bool:
        return self.scheduler.running

    def start(self) -> Scheduling:
        if not self._take_over():
            self._watcher = threading.Thread(target=self._watch, name="scheduler-standby", daemon=True)
            self._watcher.start()
        return self

    def _take_over(self) -> bool:
        if not self.lock.acquire():
            return False
        self.scheduler.start()
        ensure_jobs(self.scheduler, self.db)
        log.info("this instance runs the schedule")
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.poll_seconds):
            if self._take_over():
                return

    def get_job(self, name: str) -> Any:
        return self.scheduler.get_job(name) if self.leading else None

    def get_jobs(self) -> list[Any]:
        return self.scheduler.get_jobs() if self.leading else []

    def shutdown(self, wait: bool = False) -> None:
        self._stop.set()
        if self.scheduler.running:
            self.scheduler.shutdown(wait=wait)
        self.lock.release()


def create_scheduler(db_path: str | None = None, *, start: bool = True, poll_seconds: float = 15.0) -> Scheduling:
    """The scheduling of this instance, its job store in the service's own database.

    Jobs coalesce missed runs into one, never run two at once, keep their next run time across restarts (a job
    already in the store is not re-added), and run in one instance only (see :class:`Scheduling`).
    """
    db = db_path or default_db_path()
    if not is_postgresql(db):
        db = str(Path(db).resolve())
        Path(db).parent.mkdir(parents=True, exist_ok=True)
    open_store(db).close()  # the service's own tables first
    scheduling = Scheduling(db, poll_seconds=poll_seconds)
    return scheduling.start() if start else scheduling


def ensure_jobs(scheduler: BackgroundScheduler, db_path: str) -> list[str]:
    """Add the registered jobs that the job store does not hold yet; return the names added."""
    added = []
    for spec in JOBS.values():
        if scheduler.get_job(spec.name) is None:
            scheduler.add_job("carbon.jobs:run_job", trigger=spec.trigger(), args=[spec.name, db_path],
                              id=spec.name, name=spec.name, replace_existing=False)
            added.append(spec.name)
    return added


def list_jobs(store: Store, scheduler: Scheduling | BackgroundScheduler | None = None) -> list[dict[str, Any]]:
    """Each job with its schedule, next run (when a scheduler is given) and last run."""
    rows = []
    for spec in registered_jobs().values():
        last = store.job_runs(job=spec.name, limit=1)
        job = scheduler.get_job(spec.name) if scheduler is not None else None
        rows.append({
            "name": spec.name, "description": spec.description, "schedule": str(spec.trigger()),
            "next_run": job.next_run_time.isoformat() if job is not None and job.next_run_time else None,
            "last_run": last[0] if last else None,
        })
    return rows
