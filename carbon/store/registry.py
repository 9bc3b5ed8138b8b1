"""Regions, their yearly statistics, and the enterprises registered in them."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from carbon.errors import InvalidInput, NotFound
from carbon.identifiers import check_identifier
from carbon.store.engine import Engine, now_iso
from carbon.store.sql import Rows, Scope, clean, insert_sql, upsert_sql

__all__ = ["ENTERPRISE_COLUMNS", "REGION_FIELDS", "STATISTICS_FIELDS", "RegistryMixin"]

# What a caller may set on a region (besides its code).
REGION_FIELDS: tuple[str, ...] = (
    "name", "name_en", "parent", "grid_region", "intensity_base_year", "intensity_base_value",
    "intensity_target_year", "intensity_target_value", "peak_aim_year", "deduct_feedstock",
    "deduct_new_renewables", "gdp_target_year", "gdp_target_current",
)
# A region's statistics for a year: GDP [万元], energy [tce], CO2 [t], and where each value comes from.
STATISTICS_FIELDS: tuple[str, ...] = (
    "gdp_current", "gdp_constant", "energy_total_tce", "feedstock_tce", "renewable_tce", "co2_total_t", "sources",
)
ENTERPRISE_COLUMNS: tuple[str, ...] = ("id", "name", "region", "industry", "credit_code", "synthetic", "created_at")
_TRUE = (True, 1, "1", "true", "True")


class RegistryMixin(Engine):
    """Regions, statistics and enterprises (needs :class:`~carbon.store.consumption.ConsumptionMixin` for the
    monthly totals an enterprise's region change invalidates)."""

    REGION_FIELDS = REGION_FIELDS

    # -- regions ------------------------------------------------------------------------------------------

    def upsert_region(self, code: str, **fields: Any) -> dict[str, Any]:
        """Create a region or update the fields given (any of :data:`REGION_FIELDS`); returns the stored row.

        Raises
        ------
        InvalidInput
            An unknown field, or a new region without a name.
        NotFound
            The ``parent`` region does not exist.
        """
        unknown = set(fields) - set(REGION_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown region fields: {', '.join(sorted(unknown))}")
        existing = self._first("SELECT * FROM regions WHERE code = ?", [code])
        if existing is None and not fields.get("name"):
            raise InvalidInput(f"the new region {code!r} needs a name")
        if existing is None:
            check_identifier("region code", code)
        if fields.get("parent") and fields["parent"] != code:
            self.get_region(fields["parent"])  # the parent must exist
        stamp = now_iso()
        row = {"code": code, **{k: clean(v) for k, v in fields.items()}, "updated_at": stamp}
        if existing is None:
            row["created_at"] = stamp
        with self.transaction():
            if existing is not None:
                sets = ", ".join(f"{c} = ?" for c in row if c != "code")
                self.conn.execute(f"UPDATE regions SET {sets} WHERE code = ?",
                                  [v for c, v in row.items() if c != "code"] + [code])
            else:
                self.conn.execute(insert_sql("regions", list(row)), list(row.values()))
        return self.get_region(code)

    def get_region(self, code: str) -> dict[str, Any]:
        """The stored row of a region; :class:`NotFound` if there is none."""
        row = self._first("SELECT * FROM regions WHERE code = ?", [code])
        if row is None:
            raise NotFound(f"no region {code!r}")
        return row

    def list_regions(self) -> list[dict[str, Any]]:
        return self._rows("SELECT * FROM regions ORDER BY code")

    # -- statistics ---------------------------------------------------------------------------------------

    def put_statistics(self, region: str, year: int, **values: Any) -> dict[str, Any]:
        """Set a region's statistics for one year (GDP in 万元, energy in tce); the fields given replace.

        ``sources`` may be a mapping (field → where its value comes from); it is stored as JSON.
        """
        self.get_region(region)
        unknown = set(values) - set(STATISTICS_FIELDS)
        if unknown:
            raise InvalidInput(f"unknown statistics fields: {', '.join(sorted(unknown))}")
        row = {"region": region, "year": int(year), **{k: clean(v) for k, v in values.items()},
               "updated_at": now_iso()}
        if isinstance(row.get("sources"), Mapping):
            row["sources"] = json.dumps(row["sources"], ensure_ascii=False, sort_keys=True)
        with self.transaction():
            self.conn.execute(upsert_sql("region_statistics", list(row), ["region", "year"]), list(row.values()))
        return self._rows("SELECT * FROM region_statistics WHERE region = ? AND year = ?", [region, int(year)])[0]

    def statistics(self, region: str) -> pd.DataFrame:
        """A region's statistics by year (index ``year``)."""
        return self.statistics_rows(region).frame(index="year")

    def statistics_rows(self, region: str) -> Rows:
        """:meth:`statistics` as plain rows, ordered by year."""
        return self._tuples("SELECT * FROM region_statistics WHERE region = ? ORDER BY year", [region])

    # -- enterprises --------------------------------------------------------------------------------------

    def add_enterprises(self, rows: Iterable[Mapping[str, Any]], *, replace: bool = False) -> int:
        """Register enterprises (``id``, ``name``, ``region`` and optional ``industry``, ``credit_code``).

        Existing ids are left as they are unless ``replace``; returns how many rows were written.

        Raises
        ------
        InvalidInput
            A row without an id, a name or a region.
        NotFound
            A row names a region that does not exist (nothing is written).
        """
        rows = [dict(row) for row in rows]
        regions = {row["code"] for row in self._rows("SELECT code FROM regions")}
        stamp = now_iso()
        for row in rows:
            for field in ("id", "name", "region"):
                if not str(row.get(field) or "").strip():
                    raise InvalidInput(f"enterprise {row.get('id')!r}: {field} is required")
            check_identifier("enterprise id", row["id"])
            if row["region"] not in regions:
                raise NotFound(f"enterprise {row['id']!r}: no region {row['region']!r}")
            row.setdefault("created_at", stamp)
            row["synthetic"] = int(bool(row.get("synthetic") in _TRUE))
        sql = (upsert_sql("enterprises", ENTERPRISE_COLUMNS, ["id"]) if replace else
               f"{insert_sql('enterprises', ENTERPRISE_COLUMNS)} ON CONFLICT (id) DO NOTHING")
        with self.transaction():
            before = self._count("enterprises")
            self.conn.executemany(sql, [[clean(row.get(c)) for c in ENTERPRISE_COLUMNS] for row in rows])
            written = len(rows) if replace else self._count("enterprises") - before
        if replace:
            self.rebuild_monthly_totals()  # a region may have changed hands
        return written

    def get_enterprise(self, enterprise_id: str, scope: Scope) -> dict[str, Any]:
        """The stored row of an enterprise inside the scope; :class:`NotFound` if none (or outside it)."""
        # outside the scope answers as if the enterprise did not exist, so a caller learns nothing about it
        row = self._first("SELECT * FROM enterprises WHERE id = ?", [enterprise_id])
        if row is None or not scope.allows(enterprise_id):
            raise NotFound(f"no enterprise {enterprise_id!r}")
        return row

    def list_enterprises(self, scope: Scope, *, region: str | None = None) -> list[dict[str, Any]]:
        condition, params = scope.where("id")
        if region is not None:
            condition += " AND region = ?"
            params.append(region)
        return self._rows(f"SELECT * FROM enterprises WHERE {condition} ORDER BY id", params)

    def enterprise_ids(self) -> set[str]:
        return {row[0] for row in self.conn.execute("SELECT id FROM enterprises")}

    def enterprise_regions(self) -> dict[str, str]:
        """Each enterprise's region code, by enterprise id."""
        return dict(self.conn.execute("SELECT id, region FROM enterprises").fetchall())

    def enterprise_places(self, enterprise_id: str | None = None) -> dict[str, tuple[str, str | None]]:
        """Each enterprise's region code and the grid region or province its electricity factor comes from, by
        enterprise id; only ``enterprise_id``'s when given (empty if it is not registered)."""
        condition, params = ("e.id = ?", [enterprise_id]) if enterprise_id is not None else ("1 = 1", [])
        rows = self.conn.execute("SELECT e.id, e.region, r.grid_region FROM enterprises e LEFT JOIN regions r "
                                 f"ON r.code = e.region WHERE {condition}", params).fetchall()
        return {row[0]: (row[1], row[2]) for row in rows}

    def enterprise_grid_regions(self) -> list[dict[str, Any]]:
        """Each enterprise with the grid region or province its region's electricity factor comes from."""
        return self._rows("SELECT e.id, r.grid_region FROM enterprises e JOIN regions r ON r.code = e.region")
