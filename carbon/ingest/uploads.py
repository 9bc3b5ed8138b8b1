"""Large uploads as jobs: the spool folder, one job's run, and a small pool of worker threads.

An upload above the service's threshold is saved in the spool folder and queued in the store
(:mod:`carbon.store.uploads`); a worker thread of the same process claims it, ingests it with
:func:`carbon.ingest.pipeline.ingest_file` exactly as a synchronous upload, records the reply (or a reason it
failed) and deletes the file. Request threads never wait for a job, so one enterprise's large file does not hold
up the others' small submissions (its batch takes the write lock like any other).

Restarts: a job still ``queued`` when the process stopped is run by the next worker of the host (at its
start-up). A job left ``running`` is taken over when no live worker holds its file (a worker keeps an exclusive
``flock`` on the spool file from before its claim until the job ends, and the lock dies with its process): if its
batch committed (the job names its batch inside the batch's own transaction) it is marked ``done`` with the
reply rebuilt from the stored batch, otherwise the batch rolled back with the process and the job is queued
again. A job whose file is gone fails with that reason; one the service stopped during :data:`MAX_ATTEMPTS`
times fails rather than stop it again.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
import socket
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, Any

from carbon.errors import Busy, NotFound
from carbon.store import Scope, Store, is_postgresql, open_store

__all__ = ["JOB_WRITE_WAIT_S", "MAX_ATTEMPTS", "SPOOL_SWEEP_S", "UploadWorker", "failure_reason", "run_upload",
           "spool_folder", "spool_path", "stored_reply"]

log = logging.getLogger("carbon.uploads")

# A job waits this long for the write lock [s]: it runs in the background, so it may queue behind many
# synchronous submissions rather than fail.
JOB_WRITE_WAIT_S = 300.0
# A job the service stopped during this many times is not tried again (it may be what stops it).
MAX_ATTEMPTS = 3
# Spool files older than this that no queued or running job names are left-overs of a crash [s].
SPOOL_SWEEP_S = 3600.0


def spool_folder(db: str, configured: str | None = None) -> Path:
    """Where queued upload files wait: ``configured``, else beside a SQLite database (``carbon.db.uploads/``),
    else (PostgreSQL, in-memory) a folder of the temporary directory named after the database."""
    if configured:
        return Path(configured)
    if is_postgresql(db) or db == ":memory:":
        digest = hashlib.sha256(db.encode()).hexdigest()[:12]
        return Path(tempfile.gettempdir()) / f"carbon-uploads-{digest}"
    path = Path(db)
    return path.with_name(f"{path.name}.uploads")


def spool_path(folder: Path, source: str) -> Path:
    """A new file name in the spool folder, keeping the upload's suffix (the readers go by it)."""
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)  # enterprises' data: for the service's user only
    return folder / f"{uuid.uuid4().hex}{Path(source).suffix.lower()}"


def failure_reason(error: BaseException, source: str, spool: str | None = None) -> str:
    """What a person reads when a job failed: what went wrong and what to do next (the readers name the file
    they read, the ``spool`` file: the person knows it by its ``source`` name)."""
    from carbon.ingest.readers import UnreadableFile
    from carbon.ingest.readers.limits import LimitExceeded

    if isinstance(error, LimitExceeded):
        return f"{error}: split the file into several uploads and send them one by one"
    if isinstance(error, UnreadableFile):
        text = str(error).replace(Path(spool).name, source) if spool else str(error)
        text = text if text.startswith(source) else f"{source}: {text}"
        return f"{text}; fix the file (or export it again as CSV) and upload it again"
    if isinstance(error, FileNotFoundError):
        return (f"{source}: the uploaded file was lost when the service restarted; nothing was stored — "
                "upload it again")
    if isinstance(error, Busy):
        return f"the database stayed busy ({error}); nothing was stored — upload the file again in a few minutes"
    return (f"{source} could not be processed ({type(error).__name__}); nothing was stored — upload it again, "
            "and if it fails again report it to the operator with this upload's id")


def run_upload(store: Store, job: dict[str, Any], *, progress: Any = None) -> tuple[dict[str, Any], int, str]:
    """Ingest a job's spool file as one batch, as a synchronous upload would; the alerts follow the batch.

    Returns
    -------
    reply : dict
        :meth:`carbon.ingest.batch.IngestSummary.to_dict` with ``index`` as the row name.
    read : int
        Rows read [rows].
    batch_id : str
    """
    from carbon.ingest.pipeline import ingest_file
    from carbon.reports.alerts import refresh_after_batch

    summary = ingest_file(store, job["spool"], enterprise_id=job["enterprise_id"], actor=job["actor"],
                          source=job["source"], confirm=bool(job["confirm"]), reason=job["reason"],
                          progress=progress)
    if summary.accepted or summary.revised:
        try:
            refresh_after_batch(store, [job["enterprise_id"]])
        except Exception:  # the batch is stored: the scheduled alert job catches up, the upload is done
            log.exception("alerts after upload %s could not be refreshed", job.get("id"))
    return summary.to_dict(index_name="index"), summary.read, summary.batch_id


def stored_reply(store: Store, job: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
    """The reply of a job whose batch committed before its worker could record it, rebuilt from the store: the
    batch's counts and rejections, the revisions it held and the revisions it applied (from the audit log, without
    their energy)."""
    import json

    from carbon.jsonable import records

    enterprise = job["enterprise_id"]
    rejections = records(store.batch_rejections(batch["id"]).rename(columns={"row": "index"}))
    held = [{key: row[key] for key in ("id", "enterprise_id", "period", "carrier", "purpose", "old", "new",
                                       "change_pct", "reasons")}
            for row in store.held_revisions(Scope.only(enterprise), status=None, enterprise_id=enterprise)
            if row["batch_id"] == batch["id"]]
    revisions = []
    for entry in store.audit_entries(Scope.only(enterprise), enterprise_id=enterprise, action="revise"):
        if entry["batch_id"] != batch["id"]:
            continue
        key = dict(zip(("enterprise_id", "period", "carrier", "purpose"), entry["entity_key"].split("|"),
                       strict=False))
        old, new = (json.loads(entry[side]) if isinstance(entry[side], str) else entry[side] for side in ("old", "new"))
        revisions.append({**key, "old": {"quantity": old.get("quantity"), "unit": old.get("unit"), "tce": None},
                          "new": {"quantity": new.get("quantity"), "unit": new.get("unit"), "tce": None},
                          "change_pct": None})
    return {"batch_id": batch["id"], "source": batch["source"], "kind": batch["kind"], "status": batch["status"],
            **{name: int(batch[name] or 0) for name in ("read", "accepted", "unchanged", "revised", "rejected")},
            "rejections": rejections, "revisions": revisions, "held": held}


class _JobStore(Store):
    """A store that names the batch it starts on its upload job, inside the batch's own transaction."""

    upload_id: int | None = None

    def start_batch(self, batch_id: str, **kwargs: Any) -> None:
        super().start_batch(batch_id, **kwargs)
        if self.upload_id is not None:
            self.tie_upload_batch(self.upload_id, batch_id)


def _stored_batch(store: Store, job: dict[str, Any]) -> dict[str, Any] | None:
    """The batch a job named, when it committed whole; None otherwise."""
    if not job.get("batch_id"):
        return None
    try:
        batch = store.get_batch(job["batch_id"], Scope.everything())
    except NotFound:
        return None
    return batch if batch["status"] == "ok" else None


def _expected_failures() -> tuple[type[BaseException], ...]:
    from carbon.ingest.readers import UnreadableFile
    from carbon.ingest.readers.limits import LimitExceeded

    return (UnreadableFile, LimitExceeded, FileNotFoundError, Busy)


@contextmanager
def _held(path: str) -> Iterator[IO[bytes] | None]:
    """An exclusive lock on a spool file (None when another process or thread holds it, or it is gone)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 — closed below, after the lock
    except FileNotFoundError:
        yield None
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield None
            return
        yield handle
    finally:
        handle.close()  # closing the file releases the lock


class UploadWorker:
    """A small pool of threads that run this host's queued upload jobs, oldest first and taking turns.

    Parameters
    ----------
    db : str
        The database (path or URL) the jobs live in.
    threads : int
        Jobs run at once (each one takes the write lock only for its batch's writes).
    poll_s : float
        How often an idle thread looks for jobs queued by another process of the host [s]; jobs queued here
        wake it at once.
    folder : Path, optional
        The spool folder, swept at start-up of the files of jobs that ended in a crash.
    host : str, optional
        The host whose jobs this worker runs (their files are in its spool folder).
    """

    def __init__(self, db: str, *, folder: Path | None = None, threads: int = 1, poll_s: float = 30.0,
                 host: str | None = None) -> None:
        self.db, self.folder, self.threads, self.poll_s = db, folder, max(int(threads), 1), poll_s
        self.host = host or socket.gethostname()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._pool: list[threading.Thread] = []
        self._guard = threading.Lock()
        self._progress: dict[int, int] = {}

    # -- life -------------------------------------------------------------------------------------------

    def start(self) -> list[int]:
        """Queue again the jobs a stopped process left running, then start the threads (once); returns the
        ids queued again."""
        with self._guard:
            if self._pool:
                return []
            self._stop.clear()
            recovered = self.recover()
            for number in range(self.threads):
                thread = threading.Thread(target=self._loop, name=f"carbon-uploads-{number}", daemon=True)
                thread.start()
                self._pool.append(thread)
        return recovered

    def stop(self, timeout: float = 5.0) -> None:
        """Let the threads finish their current job and end; queued jobs stay queued for the next start."""
        self._stop.set()
        self._wake.set()
        with self._guard:
            pool, self._pool = self._pool, []
        for thread in pool:
            thread.join(timeout)

    def wake(self) -> None:
        """A job was queued: start the threads if they are not running, and let an idle one take it."""
        if not self._pool:
            self.start()
        self._wake.set()

    @property
    def running(self) -> bool:
        return any(thread.is_alive() for thread in self._pool)

    def progress(self, upload_id: int) -> int | None:
        """Rows of a running job stored so far [rows], when this process runs it; None otherwise."""
        return self._progress.get(int(upload_id))

    # -- restart ----------------------------------------------------------------------------------------

    def recover(self) -> list[int]:
        """Queue again the running jobs of this host whose worker is gone; sweep old files no job names."""
        requeued = []
        with open_store(self.db) as store:
            for job in store.running_uploads(self.host):
                with _held(job["spool"]) as handle:
                    if handle is None and Path(job["spool"]).exists():
                        continue  # a live worker holds it
                    batch = _stored_batch(store, job)
                    if batch is not None:  # stored before its worker stopped: done, not run again
                        store.finish_upload(job["id"], stored_reply(store, job, batch), rows_read=batch["read"] or 0)
                        with suppress(FileNotFoundError):
                            os.unlink(job["spool"])
                        continue
                    if handle is None:
                        store.fail_upload(job["id"], failure_reason(FileNotFoundError(job["spool"]), job["source"]))
                        continue
                    if job["attempts"] >= MAX_ATTEMPTS:
                        store.fail_upload(job["id"], (
                            f"{job['source']}: the service stopped {job['attempts']} times while storing this "
                            "file; nothing was stored — split it into smaller uploads, and tell the operator"))
                        os.unlink(job["spool"])
                        continue
                    store.requeue_upload(job["id"])
                    requeued.append(job["id"])
            self._sweep(store)
        return requeued

    def _sweep(self, store: Store) -> None:
        """Delete spool files no queued or running job names: ended jobs' files a crash left behind (only old
        ones, since a file being uploaded now has no job yet)."""
        if self.folder is None or not self.folder.is_dir():
            return
        named = store.active_spools(self.host)
        cutoff = time.time() - SPOOL_SWEEP_S
        for path in self.folder.iterdir():
            with suppress(OSError):
                if str(path) not in named and path.is_file() and path.stat().st_mtime < cutoff:
                    path.unlink()

    # -- running ----------------------------------------------------------------------------------------

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                ran = self.run_next()
            except Exception:  # the database is unreachable for now: try again later, never die
                log.exception("upload worker could not take a job")
                ran = False
            if not ran:
                self._wake.wait(self.poll_s)

    def run_next(self) -> bool:
        """Claim and run the next queued job of this host; False when none waits."""
        with _JobStore(self.db) as store:
            store.write_wait_s = JOB_WRITE_WAIT_S
            for job in store.next_uploads(self.host):
                with _held(job["spool"]) as handle:
                    if handle is None and Path(job["spool"]).exists():
                        continue  # another worker is taking it
                    if not store.claim_upload(job["id"]):
                        continue
                    self._run(store, store.upload(job["id"]))
                return True
        return False

    def _run(self, store: Store, job: dict[str, Any]) -> None:
        """Run one claimed job to ``done`` or ``failed``; its spool file is deleted either way."""
        upload_id = int(job["id"])
        self._progress[upload_id] = 0
        if isinstance(store, _JobStore):
            store.upload_id = upload_id
        expected = _expected_failures()

        def counted(rows: int) -> None:
            self._progress[upload_id] = self._progress.get(upload_id, 0) + int(rows)

        try:
            reply, read, _ = run_upload(store, job, progress=counted)
        except Exception as error:  # every failure of a job is reported on the job, never lost in a thread
            if isinstance(error, expected):
                log.info("upload %s failed: %s", upload_id, error)
            else:
                log.exception("upload %s failed", upload_id)
            store.fail_upload(upload_id, failure_reason(error, job["source"], job["spool"]))
        else:
            store.finish_upload(upload_id, reply, rows_read=read)
        finally:
            self._progress.pop(upload_id, None)
            if isinstance(store, _JobStore):
                store.upload_id = None
        with suppress(FileNotFoundError):
            os.unlink(job["spool"])
