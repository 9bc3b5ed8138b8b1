"""Alerts: their findings kept in step with the open alerts, listed and acknowledged.

A refresh compares thousands of findings with the open alerts (every missing month of every enterprise of a
batch). That comparison is made before the write lock is taken; inside it a one-row summary of the open alerts
says whether another writer moved them meanwhile (then they are compared again, as they are now), and only the
changes are written.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from carbon.errors import NotFound
from carbon.store.engine import Engine, now_iso
from carbon.store.sql import Scope, conditions, json_read, json_text

__all__ = ["AlertSync", "AlertsMixin"]

_ALERT_COLUMNS = ("fingerprint", "kind", "severity", "region", "enterprise_id", "period", "message", "details",
                  "created_at", "updated_at")
_ALERT_UPSERT = (
    # a resolved alert that occurs again is reopened as new
    " ON CONFLICT (fingerprint) DO UPDATE SET severity = excluded.severity, message = excluded.message, "
    "details = excluded.details, updated_at = excluded.updated_at, resolved_at = NULL, "
    "acknowledged_by = NULL, acknowledged_at = NULL"
)
_OPEN = "id, fingerprint, severity, message, details, updated_at"  # what the comparison reads of an open alert


@dataclass(frozen=True)
class AlertSync:
    """One kind's findings (keyed by ``fingerprint``) and the open alerts they replace: a region's and, with
    ``scope_enterprises``, only these enterprises'."""

    kind: str
    alerts: Sequence[Mapping[str, Any]]
    scope_region: str | None = None
    scope_enterprises: Collection[str] | None = None


@dataclass
class _Changes:
    """What a sync writes: changed alerts, new ones (by fingerprint), the ids of those resolved."""

    open_now: dict[str, tuple[Any, ...]]  # the open alerts compared with, by fingerprint
    updates: list[list[Any]] = field(default_factory=list)
    inserts: dict[str, list[Any]] = field(default_factory=dict)
    gone: list[Any] = field(default_factory=list)
    updated: int = 0  # alerts found open again (changed or not)

    @property
    def counts(self) -> dict[str, int]:
        return {"opened": len(self.inserts), "updated": self.updated, "resolved": len(self.gone)}


class AlertsMixin(Engine):
    """Alerts: synchronised with findings, listed, acknowledged."""

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
        return self.sync_alert_kinds([AlertSync(kind, alerts, scope_region, scope_enterprises)])[0]

    def sync_alert_kinds(self, syncs: Sequence[AlertSync]) -> list[dict[str, int]]:
        """:meth:`sync_alerts` of several kinds in one transaction, which leaves every cached report valid (alerts
        are no report's input); the counts of each."""
        stamp = now_iso()
        details = [[json_text(alert.get("details") or {}, sort_keys=True) for alert in sync.alerts] for sync in syncs]
        changes = [_changes(sync, text, self._open_alerts(sync), stamp)
                   for sync, text in zip(syncs, details, strict=True)]
        with self.transaction():
            self.changes_only_regions(())
            for i, sync in enumerate(syncs):
                if self._open_summary(sync) != _summary(changes[i].open_now):  # another writer moved them
                    changes[i] = _changes(sync, details[i], self._open_alerts(sync), stamp)
                self._write_changes(sync.kind, changes[i], stamp)
        return [change.counts for change in changes]

    def _open_condition(self, sync: AlertSync) -> tuple[str, list[Any]]:
        scope_ids = None if sync.scope_enterprises is None else sorted(sync.scope_enterprises)
        condition, params = conditions(Scope.everything(), "enterprise_id",
                                       equal={"kind": sync.kind, "region": sync.scope_region},
                                       among=("enterprise_id", scope_ids))
        return condition + " AND resolved_at IS NULL", params

    def _open_alerts(self, sync: AlertSync) -> dict[str, tuple[Any, ...]]:
        """The open alerts a sync replaces, by fingerprint: (id, fingerprint, severity, message, details,
        updated_at)."""
        condition, params = self._open_condition(sync)
        rows = self.conn.execute(f"SELECT {_OPEN} FROM alerts WHERE {condition}", params).fetchall()
        return {row[1]: tuple(row) for row in rows}

    def _open_summary(self, sync: AlertSync) -> tuple[int, int, str | None]:
        """How many open alerts a sync replaces, the sum of their ids and their newest change: one row."""
        condition, params = self._open_condition(sync)
        count, ids, newest = self.conn.execute(
            f"SELECT COUNT(*), COALESCE(SUM(id), 0), MAX(updated_at) FROM alerts WHERE {condition}",
            params).fetchone()
        return int(count), int(ids), newest

    def _write_changes(self, kind: str, changes: _Changes, stamp: str) -> None:
        # Few statements while the write lock is held: the changed alerts by one executemany (pipelined on
        # PostgreSQL), the new ones as statements of many VALUES, the resolved ones by their ids.
        self.conn.executemany("UPDATE alerts SET severity = ?, message = ?, details = ?, updated_at = ? "
                              "WHERE id = ?", changes.updates)
        self._insert_rows("alerts", _ALERT_COLUMNS, [[values[0], kind, *values[1:]]
                                                     for values in changes.inserts.values()], suffix=_ALERT_UPSERT)
        for start in range(0, len(changes.gone), 500):
            part = changes.gone[start:start + 500]
            self.conn.execute(f"UPDATE alerts SET resolved_at = ?, updated_at = ? WHERE id IN "
                              f"({', '.join('?' * len(part))})", [stamp, stamp, *part])

    def list_alerts(self, scope: Scope, *, include_resolved: bool = False, kind: str | None = None,
                    region: str | None = None) -> list[dict[str, Any]]:
        """Alerts inside the scope, critical first, then warnings, newest first (``details`` as a dict)."""
        condition, params = conditions(scope, "enterprise_id", equal={"kind": kind, "region": region})
        if not include_resolved:
            condition += " AND resolved_at IS NULL"
        rows = self._rows(f"SELECT * FROM alerts WHERE {condition} ORDER BY "
                          "CASE severity WHEN 'critical' THEN 0 WHEN 'warning' THEN 1 ELSE 2 END, created_at DESC",
                          params)
        return json_read(rows, "details")

    def acknowledge_alert(self, alert_id: int, by: str) -> dict[str, Any]:
        """Mark an alert seen by ``by``; returns the stored row; :class:`NotFound` if there is no such alert."""
        with self.transaction():
            cursor = self.conn.execute("UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ? WHERE id = ?",
                                       [by, now_iso(), alert_id])
            if cursor.rowcount != 1:
                raise NotFound(f"no alert {alert_id}")
        return self._rows("SELECT * FROM alerts WHERE id = ?", [alert_id])[0]


def _changes(sync: AlertSync, details: Sequence[str], open_now: dict[str, tuple[Any, ...]], stamp: str) -> _Changes:
    """Compare findings (their ``details`` as JSON) with the open alerts they replace (pure)."""
    changes = _Changes(open_now)
    for alert, text in zip(sync.alerts, details, strict=True):
        known = open_now.get(alert["fingerprint"])
        if known is not None:
            changes.updated += 1
            if known[2:5] != (alert["severity"], alert["message"], text):
                changes.updates.append([alert["severity"], alert["message"], text, stamp, known[0]])
        else:  # a fingerprint twice: the later finding, as one upsert after the other would leave it
            changes.inserts[alert["fingerprint"]] = [alert["fingerprint"], alert["severity"], alert.get("region"),
                                                     alert.get("enterprise_id"), alert.get("period"), alert["message"],
                                                     text, stamp, stamp]
    seen = {alert["fingerprint"] for alert in sync.alerts}
    changes.gone = [row[0] for fingerprint, row in open_now.items() if fingerprint not in seen]
    return changes


def _summary(open_now: Mapping[str, tuple[Any, ...]]) -> tuple[int, int, str | None]:
    """:meth:`AlertsMixin._open_summary` of open alerts read before."""
    return (len(open_now), sum(int(row[0]) for row in open_now.values()),
            max((row[5] for row in open_now.values()), default=None))
