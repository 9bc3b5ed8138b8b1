"""Upload jobs: large file uploads kept as a queue of jobs, their status and their result.

A job is ``queued`` when its file is in the spool folder, ``running`` while a worker ingests it, and ends
``done`` (with the submission's reply as ``result``) or ``failed`` (with an ``error`` saying what to do next).
Workers take queued jobs of their own host (the spool folder is local) one at a time by an atomic claim, so two
workers or two instances never run the same job.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from carbon.errors import NotFound
from carbon.store.engine import now_iso
from carbon.store.migrations import migration
from carbon.store.sql import json_text

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    from carbon.store.migrations import Schema
    from carbon.store.sql import Scope

__all__ = ["UPLOAD_STATUSES", "UploadsMixin"]

UPLOAD_STATUSES = ("queued", "running", "done", "failed")
_NEW_COLUMNS = ("enterprise_id", "source", "bytes", "spool", "host", "confirm", "reason", "actor")


@migration
def m301_uploads(db: Schema) -> None:
    db["uploads"].create({
        "id": int, "enterprise_id": str, "status": str, "source": str, "bytes": int, "spool": str, "host": str,
        "confirm": int, "reason": str, "actor": str, "attempts": int, "rows_read": int, "batch_id": str,
        "result": str, "error": str, "queued_at": str, "started_at": str, "finished_at": str,
    }, pk="id", not_null=["enterprise_id", "status", "source", "spool", "host", "queued_at"],
        defaults={"attempts": 0, "confirm": 0})
    # the workers' claim (the queue of one host) and an enterprise's own list
    db["uploads"].create_index(["status", "host"])
    db["uploads"].create_index(["enterprise_id", "id"])


def _decoded(row: dict[str, Any]) -> dict[str, Any]:
    row["result"] = json.loads(row["result"]) if row.get("result") else None
    row["confirm"] = bool(row.get("confirm"))
    return row


class UploadsMixin:
    """The store's operations on upload jobs (mixed into :class:`carbon.store.Store`)."""

    conn: Any  # these are the Store's
    _rows: Callable[..., list[dict[str, Any]]]
    transaction: Callable[[], AbstractContextManager[Any]]

    def add_upload(self, job: Mapping[str, Any]) -> dict[str, Any]:
        """Queue a job whose file is already in the spool folder; returns its row.

        ``job`` has ``enterprise_id``, ``source`` (the file name), ``bytes`` [B], ``spool`` (the file's path),
        ``host``, ``confirm``, ``reason`` and ``actor``.
        """
        values = [job.get(column) for column in _NEW_COLUMNS]
        values[_NEW_COLUMNS.index("confirm")] = int(bool(job.get("confirm")))
        with self.transaction():
            cursor = self.conn.execute(
                f"INSERT INTO uploads ({', '.join(_NEW_COLUMNS)}, status, attempts, queued_at) "
                f"VALUES ({', '.join('?' for _ in _NEW_COLUMNS)}, 'queued', 0, ?) RETURNING id", [*values, now_iso()])
            upload_id = int(cursor.fetchone()[0])
        return self.upload(upload_id)

    def upload(self, upload_id: int, scope: Scope | None = None) -> dict[str, Any]:
        """One job (inside ``scope``: an enterprise sees its own jobs only); :class:`NotFound` otherwise."""
        condition, params = scope.where("enterprise_id") if scope is not None else ("1 = 1", [])
        rows = self._rows(f"SELECT * FROM uploads WHERE id = ? AND {condition}", [int(upload_id), *params])
        if not rows:
            raise NotFound(f"no upload {upload_id}")
        return _decoded(rows[0])

    def uploads(self, scope: Scope, *, limit: int = 50) -> list[dict[str, Any]]:
        """The newest jobs inside the scope, newest first."""
        condition, params = scope.where("enterprise_id")
        rows = self._rows(f"SELECT * FROM uploads WHERE {condition} ORDER BY id DESC LIMIT ?", [*params, int(limit)])
        return [_decoded(row) for row in rows]

    def queued_uploads(self, host: str) -> int:
        """How many jobs of ``host`` wait for a worker."""
        row = self.conn.execute("SELECT COUNT(*) FROM uploads WHERE status = 'queued' AND host = ?",
                                [host]).fetchone()
        return int(row[0])

    def next_uploads(self, host: str, *, limit: int = 4) -> list[dict[str, Any]]:
        """The queued jobs of ``host`` in the order workers take them: the oldest of the enterprise with the
        fewest jobs ahead of it first, so that one enterprise's many uploads take turns with the others'."""
        rows = self._rows(
            "SELECT * FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY enterprise_id ORDER BY id) AS turn "
            "FROM uploads WHERE status = 'queued' AND host = ?) AS waiting ORDER BY turn, id LIMIT ?",
            [host, int(limit)])
        return [_decoded({k: v for k, v in row.items() if k != "turn"}) for row in rows]

    def claim_upload(self, upload_id: int) -> bool:
        """Move a queued job to ``running``; False when another worker claimed it first."""
        with self.transaction():
            cursor = self.conn.execute(
                "UPDATE uploads SET status = 'running', started_at = ?, attempts = attempts + 1 "
                "WHERE id = ? AND status = 'queued'", [now_iso(), int(upload_id)])
            return cursor.rowcount == 1

    def active_spools(self, host: str) -> set[str]:
        """The spool files of the queued and running jobs of ``host``."""
        rows = self.conn.execute("SELECT spool FROM uploads WHERE status IN ('queued', 'running') AND host = ?",
                                 [host]).fetchall()
        return {row[0] for row in rows}

    def running_uploads(self, host: str) -> list[dict[str, Any]]:
        """The jobs of ``host`` marked running (by this process, or by one that stopped)."""
        rows = self._rows("SELECT * FROM uploads WHERE status = 'running' AND host = ? ORDER BY id", [host])
        return [_decoded(row) for row in rows]

    def tie_upload_batch(self, upload_id: int, batch_id: str) -> None:
        """Name the batch a job stores (call inside the batch's transaction: the name commits with the batch, so a
        job whose worker stopped after the commit is known to be stored)."""
        self.conn.execute("UPDATE uploads SET batch_id = ? WHERE id = ?", [batch_id, int(upload_id)])

    def requeue_upload(self, upload_id: int) -> None:
        """Put a running job back in the queue (its worker stopped before its batch was stored)."""
        with self.transaction():
            self.conn.execute("UPDATE uploads SET status = 'queued', started_at = NULL, batch_id = NULL "
                              "WHERE id = ? AND status = 'running'", [int(upload_id)])

    def finish_upload(self, upload_id: int, result: Mapping[str, Any], *, rows_read: int) -> None:
        """Record a job as done with the submission's reply (counts, rejections, revisions, held); its batch was
        named by :meth:`tie_upload_batch`."""
        with self.transaction():
            self.conn.execute(
                "UPDATE uploads SET status = 'done', result = ?, rows_read = ?, error = NULL, finished_at = ? "
                "WHERE id = ?",
                [json_text(result), int(rows_read), now_iso(), int(upload_id)])

    def fail_upload(self, upload_id: int, error: str) -> None:
        """Record a job as failed with a reason that says what to do next."""
        with self.transaction():
            self.conn.execute("UPDATE uploads SET status = 'failed', error = ?, finished_at = ? WHERE id = ?",
                              [error, now_iso(), int(upload_id)])
