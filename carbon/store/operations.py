"""Running the service: job runs and job locks, enterprises' quotas and output, HTTP sources to pull."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from carbon.store.engine import Engine, now_iso
from carbon.store.sql import Scope, clean, conditions, insert_sql, json_read, json_text, upsert_sql

__all__ = ["OUTPUT_COLUMNS", "OperationsMixin"]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "enterprise_id", "period", "product", "output_value", "quantity", "unit", "updated_at",
)
class OperationsMixin(Engine):
    """Job runs and locks, quotas and output, HTTP sources (needs
    :class:`~carbon.store.registry.RegistryMixin` to check the enterprise a quota or output belongs to)."""

    # -- job runs and locks -------------------------------------------------------------------------------

    def start_job_run(self, job: str) -> int:
        """Record a run of ``job`` as running; returns its id."""
        cursor = self.conn.execute("INSERT INTO job_runs (job, started_at, status) VALUES (?, ?, 'running') "
                                   "RETURNING id", [job, now_iso()])
        return int(cursor.fetchone()[0])

    def finish_job_run(self, run_id: int, *, status: str, counts: Mapping[str, Any] | None = None,
                       error: str | None = None) -> None:
        self.conn.execute("UPDATE job_runs SET finished_at = ?, status = ?, counts = ?, error = ? WHERE id = ?",
                          [now_iso(), status, json_text(counts or {}), error, run_id])

    def job_runs(self, *, job: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest runs first, optionally of one job (``counts`` read back as a dict)."""
        condition, params = ("job = ?", [job]) if job else ("1 = 1", [])
        rows = self._rows(f"SELECT * FROM job_runs WHERE {condition} ORDER BY id DESC LIMIT ?", [*params, limit])
        return json_read(rows, "counts")

    def acquire_job_lock(self, job: str, owner: str, *, stale_after_s: int = 6 * 3600) -> bool:
        """Take the job's lock unless another run holds it (a lock older than ``stale_after_s`` is taken over)."""
        stale = (datetime.now(UTC) - timedelta(seconds=stale_after_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
        with self.transaction():
            self.conn.execute("DELETE FROM job_locks WHERE job = ? AND acquired_at < ?", [job, stale])
            cursor = self.conn.execute(
                "INSERT INTO job_locks (job, owner, acquired_at) VALUES (?, ?, ?) ON CONFLICT (job) DO NOTHING",
                [job, owner, now_iso()])
            return cursor.rowcount == 1

    def release_job_lock(self, job: str, owner: str) -> None:
        """Give the lock back (only its owner can)."""
        with self.transaction():
            self.conn.execute("DELETE FROM job_locks WHERE job = ? AND owner = ?", [job, owner])

    # -- quotas and output ---------------------------------------------------------------------------------

    def put_quota(self, enterprise_id: str, year: int, quota_tce: float, *, basis: str = "equivalent",
                  source: str | None = None) -> dict[str, Any]:
        """Set an enterprise's energy-use quota (用能权) for a year [tce]."""
        self.get_enterprise(enterprise_id, Scope.everything())
        row = {"enterprise_id": enterprise_id, "year": int(year), "quota_tce": float(quota_tce), "basis": basis,
               "source": source, "updated_at": now_iso()}
        with self.transaction():
            self.conn.execute(upsert_sql("quotas", list(row), ["enterprise_id", "year"]), list(row.values()))
        return row

    def quota(self, enterprise_id: str, year: int) -> dict[str, Any] | None:
        return self._first("SELECT * FROM quotas WHERE enterprise_id = ? AND year = ?", [enterprise_id, int(year)])

    def quotas(self, year: int) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM quotas WHERE year = ? ORDER BY enterprise_id", [int(year)])

    def put_output(self, enterprise_id: str, period: str, rows: Sequence[Mapping[str, Any]]) -> int:
        """Replace an enterprise's output for a month: the output value [万元] (product "") and product
        quantities."""
        self.get_enterprise(enterprise_id, Scope.everything())
        stamp = now_iso()
        with self.transaction():
            self.conn.execute("DELETE FROM enterprise_output WHERE enterprise_id = ? AND period = ?",
                              [enterprise_id, period])
            self.conn.executemany(
                insert_sql("enterprise_output", OUTPUT_COLUMNS),
                [[enterprise_id, period, row.get("product") or "", clean(row.get("output_value")),
                  clean(row.get("quantity")), row.get("unit"), stamp] for row in rows])
        return len(rows)

    def output(self, scope: Scope, enterprise_id: str, *, start: str | None = None,
               end: str | None = None) -> pd.DataFrame:
        """An enterprise's output by period and product, inside the scope."""
        condition, params = conditions(scope, "enterprise_id", equal={"enterprise_id": enterprise_id},
                                       since=("period", start), until=("period", end))
        return self._frame(f"SELECT * FROM enterprise_output WHERE {condition} ORDER BY period, product", params)

    # -- HTTP sources -------------------------------------------------------------------------------------

    def upsert_http_source(self, name: str, url: str, **fields: Any) -> None:
        """Add or replace a source the pull job reads (``headers`` and ``params`` may be mappings)."""
        row = {"name": name, "url": url, "created_at": now_iso(), **fields}
        for key in ("headers", "params"):
            if isinstance(row.get(key), Mapping):
                row[key] = json.dumps(row[key], ensure_ascii=False)
        with self.transaction():
            self.conn.execute(upsert_sql("http_sources", list(row), ["name"]), [clean(v) for v in row.values()])

    def http_sources(self) -> list[dict[str, Any]]:
        """The enabled sources by name (``headers`` and ``params`` as dicts)."""
        return json_read(self._rows("SELECT * FROM http_sources WHERE enabled = 1 ORDER BY name"), "headers", "params")
