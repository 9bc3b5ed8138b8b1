"""Running the service: job runs and job locks, alerts, enterprises' quotas and output, HTTP sources to pull."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pandas as pd

from carbon.errors import NotFound
from carbon.store.engine import Engine, now_iso
from carbon.store.sql import Scope, clean, conditions, insert_sql, upsert_sql

__all__ = ["OUTPUT_COLUMNS", "OperationsMixin"]

OUTPUT_COLUMNS: tuple[str, ...] = (
    "enterprise_id", "period", "product", "output_value", "quantity", "unit", "updated_at",
)
_ALERT_COLUMNS = ("fingerprint", "kind", "severity", "region", "enterprise_id", "period", "message", "details",
                  "created_at", "updated_at")
_ALERT_UPSERT = (
    # a resolved alert that occurs again is reopened as new
    " ON CONFLICT (fingerprint) DO UPDATE SET severity = excluded.severity, message = excluded.message, "
    "details = excluded.details, updated_at = excluded.updated_at, resolved_at = NULL, "
    "acknowledged_by = NULL, acknowledged_at = NULL"
)


def _json(value: Any, **options: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str, **options)


def _parsed(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """The rows with their JSON text columns read back (empty: ``{}``)."""
    for row in rows:
        for key in keys:
            row[key] = json.loads(row[key]) if row.get(key) else {}
    return rows


class OperationsMixin(Engine):
    """Job runs and locks, alerts, quotas and output, HTTP sources (needs
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
                          [now_iso(), status, _json(counts or {}), error, run_id])

    def job_runs(self, *, job: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
        """The newest runs first, optionally of one job (``counts`` read back as a dict)."""
        condition, params = ("job = ?", [job]) if job else ("1 = 1", [])
        rows = self._rows(f"SELECT * FROM job_runs WHERE {condition} ORDER BY id DESC LIMIT ?", [*params, limit])
        return _parsed(rows, "counts")

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

    # -- alerts -------------------------------------------------------------------------------------------

    def sync_alerts(self, kind: str, alerts: Sequence[Mapping[str, Any]], *, scope_region: str | None = None,
                    scope_enterprises: Collection[str] | None = None) -> dict[str, int]:
        """Make the open alerts of one kind match ``alerts`` (keyed by ``fingerprint``).

        New fingerprints are opened, known ones updated (an acknowledged alert stays acknowledged; a row is
        rewritten only where severity, message or details changed, so ``updated_at`` is when it last changed), and
        open alerts of that kind that no longer occur are resolved. Returns the counts opened/updated (found open
        again)/resolved.
        ``scope_region`` and ``scope_enterprises`` limit the open alerts matched (and resolved) to a region's and
        to these enterprises'.
        """
        stamp = now_iso()
        scope_ids = None if scope_enterprises is None else sorted(scope_enterprises)
        condition, params = conditions(Scope.everything(), "enterprise_id",
                                       equal={"kind": kind, "region": scope_region}, among=("enterprise_id", scope_ids))
        condition += " AND resolved_at IS NULL"
        with self.transaction():
            rows = self._rows(f"SELECT * FROM alerts WHERE {condition}", params)
            open_now = {row["fingerprint"]: row for row in rows}
            updates, inserts, updated = [], {}, 0
            for alert in alerts:
                details = _json(alert.get("details") or {}, sort_keys=True)
                known = open_now.get(alert["fingerprint"])
                if known is not None:
                    updated += 1
                    if (known["severity"], known["message"], known["details"]) != (alert["severity"],
                                                                                     alert["message"], details):
                        updates.append([alert["severity"], alert["message"], details, stamp, known["id"]])
                else:  # a fingerprint twice: the later finding, as one upsert after the other would leave it
                    inserts[alert["fingerprint"]] = [alert["fingerprint"], kind, alert["severity"], alert.get("region"),
                                                     alert.get("enterprise_id"), alert.get("period"), alert["message"],
                                                     details, stamp, stamp]
            # Few statements while the write lock is held: the changed alerts by one executemany (pipelined on
            # PostgreSQL), the new ones as statements of many VALUES, the resolved ones by their ids.
            self.conn.executemany("UPDATE alerts SET severity = ?, message = ?, details = ?, updated_at = ? "
                                  "WHERE id = ?", updates)
            self._insert_rows("alerts", _ALERT_COLUMNS, list(inserts.values()), suffix=_ALERT_UPSERT)
            opened = len(inserts)
            seen = {alert["fingerprint"] for alert in alerts}
            gone = [row["id"] for fingerprint, row in open_now.items() if fingerprint not in seen]
            for start in range(0, len(gone), 500):
                part = gone[start:start + 500]
                self.conn.execute(f"UPDATE alerts SET resolved_at = ?, updated_at = ? WHERE id IN "
                                  f"({', '.join('?' * len(part))})", [stamp, stamp, *part])
        return {"opened": opened, "updated": updated, "resolved": len(gone)}

    def list_alerts(self, scope: Scope, *, include_resolved: bool = False, kind: str | None = None,
                    region: str | None = None) -> list[dict[str, Any]]:
        """Alerts inside the scope, critical first, then warnings, newest first (``details`` as a dict)."""
        condition, params = conditions(scope, "enterprise_id", equal={"kind": kind, "region": region})
        if not include_resolved:
            condition += " AND resolved_at IS NULL"
        rows = self._rows(f"SELECT * FROM alerts WHERE {condition} ORDER BY "
                          "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, created_at DESC",
                          params)
        return _parsed(rows, "details")

    def acknowledge_alert(self, alert_id: int, by: str) -> dict[str, Any]:
        """Mark an alert seen by ``by``; returns the stored row; :class:`NotFound` if there is no such alert."""
        with self.transaction():
            cursor = self.conn.execute("UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                                       [by, now_iso(), alert_id])
            if cursor.rowcount != 1:
                raise NotFound(f"no alert {alert_id}")
        return self._rows("SELECT * FROM alerts WHERE id = ?", [alert_id])[0]

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
        return _parsed(self._rows("SELECT * FROM http_sources WHERE enabled = 1 ORDER BY name"), "headers", "params")
