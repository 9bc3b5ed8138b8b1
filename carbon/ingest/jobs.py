"""Scheduled jobs: the only module that knows the scheduler (APScheduler 3).

Jobs are kept in a persistent job store in the same database, so schedules and next run times survive
restarts. Runs never overlap (one instance per job in the scheduler, and a lock row in the database against
a manual run or a second process), misfires are coalesced into one run, and every run is recorded with its
start, end, status, counts and error.

Jobs
----
ingest_inbox
    Ingest files dropped into the inbox folder; move each to ``processed/`` or ``failed/`` with a report.
pull_http
    Pull every configured HTTP JSON source and ingest what it returns.
refresh_aggregates
    Re-convert stored rows whose factors have changed (a new factor table, a year's factor now published).
flag_missing_reports
    Open an alert for every enterprise-month without a report past its deadline; resolve those since filled.
refresh_alerts
    Recompute the other alerts (region off track, quota, unusual month, incomplete telemetry).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from carbon.accounting import convert_frame
from carbon.alerts import refresh_alerts
from carbon.audit import chain_entries
from carbon.errors import CarbonError
from carbon.factors import default_factors
from carbon.store import Scope, Store, default_db_path, is_postgresql, now_iso, open_store

__all__ = ["JOBS", "JobSpec", "create_scheduler", "ensure_jobs", "list_jobs", "run_job"]

log = logging.getLogger(__name__)

TIMEZONE = "Asia/Shanghai"
# Monthly reports are due by this day of the following month (statistical practice: early in the month).
REPORT_DEADLINE_DAY = 15
# A file younger than this may still be being written by whoever drops it into the inbox.
INBOX_SETTLE_SECONDS = 2.0


def inbox_path() -> Path:
    """The inbox folder: ``CARBON_INBOX``, else ``inbox/`` beside the SQLite database (``data/inbox``)."""
    configured = os.environ.get("CARBON_INBOX")
    if configured:
        return Path(configured)
    database = default_db_path()
    return (Path("data") if is_postgresql(database) else Path(database).resolve().parent) / "inbox"


# -- the jobs -----------------------------------------------------------------------------------------------

def ingest_inbox(store: Store) -> dict[str, Any]:
    """Ingest every settled file in the inbox; move it to processed/ or failed/ with a JSON report beside it."""
    from carbon.ingest.files import UnreadableFile
    from carbon.ingest.pipeline import ingest_file

    inbox = inbox_path()
    processed, failed = inbox / "processed", inbox / "failed"
    for folder in (inbox, processed, failed):
        folder.mkdir(parents=True, exist_ok=True)
    counts = {"files": 0, "processed": 0, "failed": 0, "accepted": 0, "revised": 0, "rejected": 0}
    for path in sorted(p for p in inbox.iterdir() if p.is_file() and not p.name.startswith(".")):
        if time.time() - path.stat().st_mtime < INBOX_SETTLE_SECONDS:
            continue
        counts["files"] += 1
        try:
            summary = ingest_file(store, path, actor="job:ingest_inbox")
        except (UnreadableFile, CarbonError, ValueError, OSError) as error:
            report: dict[str, Any] = {"file": path.name, "status": "failed", "error": str(error),
                                      "what_next": "fix the file and drop it into the inbox again"}
            target = failed
            counts["failed"] += 1
        else:
            report = {"file": path.name, **summary.to_dict()}
            target = processed
            counts["processed"] += 1
            for key in ("accepted", "revised", "rejected"):
                counts[key] += report[key]
        stem = f"{time.strftime('%Y%m%dT%H%M%S')}-{path.name}"
        shutil.move(str(path), target / stem)
        (target / f"{stem}.report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                                    encoding="utf-8")
    return counts


def pull_http(store: Store) -> dict[str, Any]:
    """Pull each enabled HTTP source; a failing source is reported and the others still run."""
    from carbon.ingest.http import get_json
    from carbon.ingest.pipeline import ingest_consumption

    counts: dict[str, Any] = {"sources": 0, "ok": 0, "failed": 0, "accepted": 0, "revised": 0, "rejected": 0,
                              "errors": {}}
    for source in store.http_sources():
        counts["sources"] += 1
        try:
            chunks = get_json(source["url"], timeout=source.get("timeout") or 10.0,
                              retries=source.get("retries") or 3, headers=source.get("headers") or None,
                              params=source.get("params") or None)
            summary = ingest_consumption(store, chunks, source=f"http:{source['name']}", actor="job:pull_http",
                                         enterprise_id=source.get("enterprise_id"))
        except (CarbonError, ConnectionError, ValueError) as error:
            counts["failed"] += 1
            counts["errors"][source["name"]] = str(error)
            continue
        counts["ok"] += 1
        for key in ("accepted", "revised", "rejected"):
            counts[key] += getattr(summary, key)
    return counts


def refresh_aggregates(store: Store) -> dict[str, Any]:
    """Re-convert rows converted with other factors (a new table edition, or a year's factor published since).

    Raw quantities are untouched (no revision); converted values, factor ids and version are updated, and one
    audit entry records how many rows and which version.
    """
    factors = default_factors()
    stale = store.stale_conversions(factors.version)
    if stale.empty:
        return {"rows": 0, "changed": 0, "factor_version": factors.version}
    grid = {row["id"]: row["grid_region"] for row in store.enterprise_grid_regions()}
    regions = stale["enterprise_id"].map(grid)
    converted = convert_frame(stale.assign(region=regions.where(regions.notna(), None)), factors=factors)
    columns = ["energy_gj", "tce_equivalent", "tce_equal", "co2_t"]
    changed = ~np.isclose(converted[columns].to_numpy(float), stale[[f"old_{c}" for c in columns]].to_numpy(float),
                          rtol=1e-12, atol=0.0, equal_nan=True).all(axis=1)
    with store.transaction():
        store.update_conversions(converted)
        store.append_audit(chain_entries([{
            "ts": now_iso(), "actor": "job:refresh_aggregates", "action": "recompute", "entity": "consumption",
            "entity_key": None, "enterprise_id": None, "batch_id": None, "old": None,
            "new": {"factor_version": factors.version, "rows": len(converted), "changed": int(changed.sum())},
            "content_count": None, "content_hash": None}], store.last_audit()))
    store.rebuild_monthly_totals()
    return {"rows": len(converted), "changed": int(changed.sum()), "factor_version": factors.version}


def due_months(today: date, *, deadline_day: int = REPORT_DEADLINE_DAY) -> str:
    """The newest month whose report is past due on ``today`` (``YYYY-MM``)."""
    months_back = 1 if today.day > deadline_day else 2
    year, month = today.year, today.month - months_back
    while month < 1:
        year, month = year - 1, month + 12
    return f"{year:04d}-{month:02d}"


def missing_reports(reported: pd.DataFrame, enterprises: list[dict[str, Any]], *, last_due: str) -> pd.DataFrame:
    """Enterprise-months without any report, from each enterprise's first report to the last due month.

    Months after the newest month anyone reported are not flagged: that collection round has not begun.
    """
    if reported.empty:
        return pd.DataFrame(columns=["enterprise_id", "region", "period"])
    frontier = min(last_due, str(reported["period"].max()))
    first = reported.groupby("enterprise_id")["period"].min()
    region = {e["id"]: e["region"] for e in enterprises}
    rows = []
    have = set(zip(reported["enterprise_id"], reported["period"], strict=True))
    for enterprise_id, start in first.items():
        for period in pd.period_range(start, frontier, freq="M").strftime("%Y-%m"):
            if (enterprise_id, period) not in have:
                rows.append((enterprise_id, region.get(enterprise_id), period))
    return pd.DataFrame(rows, columns=["enterprise_id", "region", "period"])


def flag_missing_reports(store: Store, *, today: date | None = None) -> dict[str, Any]:
    """Open an alert for each missing monthly report past its deadline; resolve the ones since received."""
    today = today or date.today()
    missing = missing_reports(store.reported_months(Scope.everything()), store.list_enterprises(Scope.everything()),
                              last_due=due_months(today))
    alerts = [{
        "fingerprint": f"missing_report|{row.enterprise_id}|{row.period}", "severity": "warning",
        "region": row.region, "enterprise_id": row.enterprise_id, "period": row.period,
        "message": f"{row.enterprise_id}: no energy report for {row.period} (due by day {REPORT_DEADLINE_DAY} of "
                   "the following month); ask the enterprise to submit it",
        "details": {"deadline_day": REPORT_DEADLINE_DAY},
    } for row in missing.itertuples(index=False)]
    result = store.sync_alerts("missing_report", alerts)
    return {"missing": len(alerts), **result}


@dataclass(frozen=True)
class JobSpec:
    """A job: what it runs and when."""

    name: str
    function: Callable[[Store], dict[str, Any]]
    trigger: Callable[[], Any]
    description: str


JOBS: dict[str, JobSpec] = {spec.name: spec for spec in (
    JobSpec("ingest_inbox", ingest_inbox, lambda: IntervalTrigger(minutes=5, timezone=TIMEZONE),
            "ingest files dropped into the inbox folder"),
    JobSpec("pull_http", pull_http, lambda: IntervalTrigger(hours=1, timezone=TIMEZONE),
            "pull the configured HTTP JSON sources"),
    JobSpec("refresh_aggregates", refresh_aggregates, lambda: CronTrigger(hour=2, minute=10, timezone=TIMEZONE),
            "re-convert rows whose factors have changed"),
    JobSpec("flag_missing_reports", flag_missing_reports, lambda: CronTrigger(hour=8, minute=0, timezone=TIMEZONE),
            "alert on monthly reports missing past their deadline"),
    JobSpec("refresh_alerts", lambda store: refresh_alerts(store),
            lambda: CronTrigger(hour=8, minute=15, timezone=TIMEZONE),
            "alert on regions off their intensity path, quotas, unusual months, incomplete telemetry"),
)}


def register_job(spec: JobSpec) -> None:
    """Add a job to the registry (other packages add theirs, e.g. the alert refresh)."""
    JOBS[spec.name] = spec


# -- running ------------------------------------------------------------------------------------------------

def run_job(name: str, db_path: str | None = None) -> dict[str, Any]:
    """Run one job now, unless another run of it holds the lock; record the run.

    This is also the callable the scheduler stores (by reference, so it survives restarts).

    Returns
    -------
    dict
        ``job``, ``run_id``, ``status`` (``ok``, ``failed`` or ``skipped``), ``counts``, ``error``.
    """
    if name not in JOBS:
        raise KeyError(f"unknown job {name!r}; jobs: {', '.join(sorted(JOBS))}")
    store = open_store(db_path)
    owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    try:
        run_id = store.start_job_run(name)
        if not store.acquire_job_lock(name, owner):
            store.finish_job_run(run_id, status="skipped", error="another run of this job is in progress")
            return {"job": name, "run_id": run_id, "status": "skipped", "counts": {},
                    "error": "another run of this job is in progress"}
        try:
            counts = JOBS[name].function(store)
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


class SchedulerLock:
    """Only one instance of the service runs the scheduler: the one holding this lock.

    PostgreSQL: a session-level advisory lock on a connection of its own (released if the instance dies);
    SQLite: an exclusive ``flock`` on ``<database>.scheduler.lock`` (instances on one machine).
    """

    KEY = 7_241_003

    def __init__(self, db: str) -> None:
        self.db = db
        self._handle: Any = None

    def acquire(self) -> bool:
        if self._handle is not None:
            return True
        if is_postgresql(self.db):
            import psycopg

            conn = psycopg.connect(self.db, autocommit=True)
            if conn.execute("SELECT pg_try_advisory_lock(%s)", [self.KEY]).fetchone()[0]:
                self._handle = conn
                return True
            conn.close()
            return False
        import fcntl

        handle = open(f"{Path(self.db).resolve()}.scheduler.lock", "a+")  # noqa: SIM115 (held open while leading)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            self._handle.close()  # closing the connection or the file releases the lock
            self._handle = None


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
            jobstores={"default": SQLAlchemyJobStore(url=_jobstore_url(db))},
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
            scheduler.add_job("carbon.ingest.jobs:run_job", trigger=spec.trigger(), args=[spec.name, db_path],
                              id=spec.name, name=spec.name, replace_existing=False)
            added.append(spec.name)
    return added


def list_jobs(store: Store, scheduler: Scheduling | BackgroundScheduler | None = None) -> list[dict[str, Any]]:
    """Each job with its schedule, next run (when a scheduler is given) and last run."""
    rows = []
    for spec in JOBS.values():
        last = store.job_runs(job=spec.name, limit=1)
        job = scheduler.get_job(spec.name) if scheduler is not None else None
        rows.append({
            "name": spec.name, "description": spec.description, "schedule": str(spec.trigger()),
            "next_run": job.next_run_time.isoformat() if job is not None and job.next_run_time else None,
            "last_run": last[0] if last else None,
        })
    return rows
