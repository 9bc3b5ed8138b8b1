"""Plans, their indicators, review thresholds per region, projects and their decisions: tables and queries.

The region's energy-intensity target of the 14th plan lives in the ``regions`` columns ``intensity_*`` (old
routes set it); :meth:`PlansMixin.put_plan` writes those columns too when it is given that target, and the
migration ``m101_plans`` copies the existing targets into ``plan_indicators`` as plan ``14th-fyp``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from carbon.errors import NotFound
from carbon.store.engine import now_iso
from carbon.store.migrations import Schema, migration
from carbon.store.sql import json_text

__all__ = ["INDICATOR_COLUMNS", "LEGACY_PLAN", "PROJECT_COLUMNS", "PlansMixin"]

LEGACY_PLAN = "14th-fyp"
INDICATOR_COLUMNS = ("kind", "base_year", "target_year", "base_value", "target_value", "change_pct", "binding",
                     "source")
PROJECT_COLUMNS = ("region", "name", "industry", "kind", "start_year", "status", "annual_tce_equivalent",
                   "annual_tce_equal", "annual_co2_t", "review_level", "verdict", "request", "review",
                   "created_by", "created_at")


@migration
def m101_plans(db: Schema) -> None:
    db["plan_indicators"].create({
        "region": str, "plan": str, "kind": str, "base_year": int, "target_year": int, "base_value": float,
        "target_value": float, "change_pct": float, "binding": int, "source": str, "position": int,
        "updated_at": str,
    }, pk=("region", "plan", "kind"), foreign_keys=[("region", "regions", "code")])
    # The one target a region had so far becomes the energy-intensity indicator of the 14th plan.
    db.execute(sql=(
        "INSERT INTO plan_indicators (region, plan, kind, base_year, target_year, base_value, target_value, "
        "change_pct, binding, source, position, updated_at) SELECT code, '14th-fyp', 'energy_intensity', "
        "intensity_base_year, intensity_target_year, intensity_base_value, intensity_target_value, NULL, 1, "
        "'the region''s intensity target (regions.intensity_*)', 0, "
        f"'{now_iso()}' FROM regions WHERE intensity_base_year IS NOT NULL AND intensity_target_year IS NOT NULL "
        "AND intensity_base_value IS NOT NULL AND intensity_target_value IS NOT NULL"))


@migration
def m102_projects(db: Schema) -> None:
    db["projects"].create({
        "id": int, "region": str, "name": str, "industry": str, "kind": str, "start_year": int, "status": str,
        "annual_tce_equivalent": float, "annual_tce_equal": float, "annual_co2_t": float, "review_level": str,
        "verdict": str, "request": str, "review": str, "decision_reason": str, "decided_by": str,
        "decided_at": str, "created_by": str, "created_at": str,
    }, pk="id", not_null=["region", "name", "status"], foreign_keys=[("region", "regions", "code")])
    db["projects"].create_index(["region", "status"])
    db["review_thresholds"].create({"region": str, "name": str, "value": float, "source": str, "updated_at": str},
                                   pk=("region", "name"), foreign_keys=[("region", "regions", "code")])


class PlansMixin:
    """The store's operations on plans, review thresholds and projects (mixed into :class:`carbon.store.Store`)."""

    conn: Any

    # -- plans --------------------------------------------------------------------------------------------

    def put_plan(self, region: str, plan: str, indicators: Sequence[Mapping[str, Any]], *,
                 legacy_target: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Replace a plan's indicators; with ``legacy_target`` also set the region's ``intensity_*`` columns.

        Parameters
        ----------
        indicators : sequence of mapping
            Validated indicators with the :data:`INDICATOR_COLUMNS`.
        legacy_target : mapping, optional
            ``intensity_base_year``, ``intensity_base_value``, ``intensity_target_year``,
            ``intensity_target_value``: the region's energy-intensity target, kept equal to the plan's.
        """
        self.get_region(region)  # type: ignore[attr-defined]
        stamp = now_iso()
        with self.transaction():  # type: ignore[attr-defined]
            self.conn.execute("DELETE FROM plan_indicators WHERE region = ? AND plan = ?", [region, plan])
            columns = ("region", "plan", *INDICATOR_COLUMNS, "position", "updated_at")
            self.conn.executemany(
                f"INSERT INTO plan_indicators ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                [[region, plan, *[_plain(row.get(c)) for c in INDICATOR_COLUMNS], position, stamp]
                 for position, row in enumerate(indicators)])
            if legacy_target:
                sets = ", ".join(f"{name} = ?" for name in legacy_target)
                self.conn.execute(f"UPDATE regions SET {sets}, updated_at = ? WHERE code = ?",
                                  [*legacy_target.values(), stamp, region])
        return self.plan_indicators(region, plan)

    def plan_indicators(self, region: str, plan: str | None = None, *, kind: str | None = None
                        ) -> list[dict[str, Any]]:
        """Stored indicators of a region (one plan, or all), in plan and position order."""
        sql = "SELECT * FROM plan_indicators WHERE region = ?"
        params: list[Any] = [region]
        for column, value in (("plan", plan), ("kind", kind)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        rows = self._rows(sql + " ORDER BY plan, position", params)  # type: ignore[attr-defined]
        for row in rows:
            row["binding"] = bool(row["binding"])
        return rows

    def plan_names(self, region: str) -> list[str]:
        return [r["plan"] for r in self._rows(  # type: ignore[attr-defined]
            "SELECT DISTINCT plan FROM plan_indicators WHERE region = ? ORDER BY plan", [region])]

    # -- review thresholds --------------------------------------------------------------------------------

    def put_review_thresholds(self, region: str, values: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
        """Set a region's overrides of review thresholds: name → {value, source}; a value of None removes it."""
        self.get_region(region)  # type: ignore[attr-defined]
        stamp = now_iso()
        with self.transaction():  # type: ignore[attr-defined]
            for name, item in values.items():
                self.conn.execute("DELETE FROM review_thresholds WHERE region = ? AND name = ?", [region, name])
                if item.get("value") is not None:
                    self.conn.execute("INSERT INTO review_thresholds (region, name, value, source, updated_at) "
                                      "VALUES (?, ?, ?, ?, ?)", [region, name, float(item["value"]),
                                                                 item.get("source"), stamp])
        return self.review_threshold_overrides(region)

    def review_threshold_overrides(self, region: str) -> dict[str, dict[str, Any]]:
        rows = self._rows("SELECT name, value, source FROM review_thresholds WHERE region = ?",  # type: ignore
                          [region])
        return {row["name"]: {"value": row["value"], "source": row["source"]} for row in rows}

    # -- projects -----------------------------------------------------------------------------------------

    def insert_project(self, row: Mapping[str, Any]) -> int:
        """Store a reviewed project (call inside a transaction, with its audit entry); returns its id."""
        values = [_plain(row.get(c)) for c in PROJECT_COLUMNS]
        cursor = self.conn.execute(
            f"INSERT INTO projects ({', '.join(PROJECT_COLUMNS)}) VALUES ({', '.join('?' for _ in PROJECT_COLUMNS)}) "
            "RETURNING id", values)
        return int(cursor.fetchone()[0])

    def get_project(self, project_id: int) -> dict[str, Any]:
        rows = self._rows("SELECT * FROM projects WHERE id = ?", [int(project_id)])  # type: ignore[attr-defined]
        if not rows:
            raise NotFound(f"no project {project_id}")
        return _project(rows[0])

    def list_projects(self, *, region: str | None = None, status: str | None = None) -> list[dict[str, Any]]:
        sql, params = "SELECT * FROM projects WHERE 1 = 1", []
        for column, value in (("region", region), ("status", status)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [_project(row) for row in self._rows(sql + " ORDER BY id", params)]  # type: ignore[attr-defined]

    def set_project_decision(self, project_id: int, *, status: str, reason: str, actor: str, stamp: str) -> None:
        """Record the decision on a project (call inside a transaction, with its audit entry)."""
        self.conn.execute("UPDATE projects SET status = ?, decision_reason = ?, decided_by = ?, decided_at = ? "
                          "WHERE id = ?", [status, reason, actor, stamp, int(project_id)])


def _plain(value: Any) -> Any:
    """A value as stored: mappings and lists as JSON text, flags as 0/1."""
    if isinstance(value, Mapping | list):
        return json_text(value)
    if isinstance(value, bool):
        return int(value)
    return value


def _project(row: dict[str, Any]) -> dict[str, Any]:
    for name in ("request", "review"):
        row[name] = json.loads(row[name]) if row.get(name) else None
    return row
