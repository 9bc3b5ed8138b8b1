"""Monthly consumption rows: written, revised, looked up by key, read and summed, and re-converted with newer
factors. They are stored compactly (:mod:`carbon.store.compact`); this module translates, so callers see frames of
:data:`~carbon.store.compact.CONSUMPTION_COLUMNS`.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

import pandas as pd

from carbon.errors import InvalidInput
from carbon.store.compact import (
    AS_GIVEN,
    COMPACT_COLUMNS,
    CONSUMPTION_COLUMNS,
    CONSUMPTION_KEY,
    CONSUMPTION_VALUES,
    FACTOR_SET,
    STAMPED,
    CompactRowsMixin,
    ConsumptionRows,
    distinct,
)
from carbon.store.engine import SMALL_INSERT_VALUES
from carbon.store.sql import Scope, columns_as_lists, conditions, insert_sql, int_years
from carbon.store.totals import CONVERTED

__all__ = ["GROUPINGS", "ConsumptionMixin"]

# What consumption can be summed by, and the SQL of each (c: consumption, e: its enterprise).
GROUPINGS: dict[str, str] = {
    "year": "substr(c.period, 1, 4)", "period": "c.period", "carrier": "c.carrier", "purpose": "c.purpose",
    "enterprise_id": "c.enterprise_id", "industry": "e.industry", "region": "e.region",
}
_CONTENT = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "source_row")  # what a batch's digest re-reads


def _update_by_key_sql(columns: Sequence[str]) -> str:
    """``UPDATE consumption_rows SET`` the columns given of the row with a natural key (parameters: values, key)."""
    return (f"UPDATE consumption_rows SET {', '.join(f'{c} = ?' for c in columns)} "
            f"WHERE {' AND '.join(f'{k} = ?' for k in CONSUMPTION_KEY)}")


def _consumption_query(scope: Scope, enterprise_id: str | None, start: str | None, end: str | None,
                       region: str | None, columns: Sequence[str]) -> tuple[str, list[Any]]:
    """The SQL and parameters of stored consumption rows inside the scope, filtered, in key order."""
    condition, params = conditions(scope, "c.enterprise_id",
                                   equal={"c.enterprise_id": enterprise_id, "e.region": region},
                                   since=("c.period", start), until=("c.period", end))
    join = " JOIN enterprises e ON e.id = c.enterprise_id" if region is not None else ""
    select = ", ".join(f"c.{name}" for name in columns)
    return (f"SELECT {select} FROM consumption c{join} WHERE {condition} "
            "ORDER BY c.enterprise_id, c.period, c.carrier, c.purpose", params)


class ConsumptionMixin(CompactRowsMixin):
    """Consumption rows, monthly totals, reported months and stale conversions."""

    # -- rows ---------------------------------------------------------------------------------------------

    def consumption_pairs(self) -> set[tuple[str, str]]:
        """Every (enterprise, period) that has at least one stored row (an index-only scan)."""
        return set(self.conn.execute("SELECT DISTINCT enterprise_id, period FROM consumption_rows").fetchall())

    def _lookup(self, name: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> tuple[str, list[Any]]:
        """The rows as a relation to join on the primary key (its SQL and parameters): a request's few as
        ``VALUES`` in the statement itself, more in the temporary table ``name``. Either way the cost follows the
        number of rows asked about, not the size of the table."""
        if len(rows) * len(columns) <= SMALL_INSERT_VALUES:
            values = ", ".join([f"({', '.join('?' * len(columns))})"] * len(rows))
            named = ", ".join(f"column{i} AS {column}" for i, column in enumerate(columns, start=1))
            return f"(SELECT {named} FROM (VALUES {values}) v)", [value for row in rows for value in row]
        self.conn.execute(f"CREATE TEMP TABLE IF NOT EXISTS {name} ({', '.join(f'{c} TEXT' for c in columns)})")
        self.conn.execute(f"DELETE FROM {name}")
        self.conn.executemany(insert_sql(name, columns), rows)
        return name, []

    def stored_pairs(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (enterprise, period) pairs have at least one stored row (probed on the primary key's
        prefix). Many pairs are first narrowed to the enterprises with any stored row, so that a first load of
        many enterprises asks about each enterprise once instead of each of its months."""
        if len(pairs) * 2 > SMALL_INSERT_VALUES:
            lookup, params = self._lookup("lookup_enterprises", ("enterprise_id",),
                                          [(enterprise,) for enterprise in dict.fromkeys(e for e, _ in pairs)])
            having = {row[0] for row in self.conn.execute(
                f"SELECT k.enterprise_id FROM {lookup} k WHERE EXISTS (SELECT 1 FROM consumption_rows c "
                "WHERE c.enterprise_id = k.enterprise_id)", params).fetchall()}
            pairs = [pair for pair in pairs if pair[0] in having]
        if not pairs:
            return set()
        lookup, params = self._lookup("lookup_pairs", ("enterprise_id", "period"), pairs)
        rows = self.conn.execute(
            f"SELECT k.enterprise_id, k.period FROM {lookup} k WHERE EXISTS (SELECT 1 FROM consumption_rows c "
            "WHERE c.enterprise_id = k.enterprise_id AND c.period = k.period)", params).fetchall()
        return {(row[0], row[1]) for row in rows}

    def values_in_pairs(self, pairs: Sequence[tuple[str, str]]) -> pd.DataFrame:
        """The natural key and submitted values (:data:`CONSUMPTION_VALUES`) of every stored row of these
        (enterprise, period) pairs, read on the primary key's prefix: what a batch compares its rows with."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES)
        if not pairs:
            return pd.DataFrame(columns=columns)
        lookup, params = self._lookup("lookup_pairs", ("enterprise_id", "period"), pairs)
        select = ", ".join(f"c.{name}" for name in columns)
        found = self._frame(f"SELECT {select} FROM {lookup} k JOIN consumption_rows c "
                            "ON c.enterprise_id = k.enterprise_id AND c.period = k.period", params)
        return found if not found.empty else pd.DataFrame(columns=columns)

    def existing_consumption(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Stored rows with exactly these natural keys (columns enterprise_id, period, carrier, purpose), joined
        on the primary key (see :meth:`_lookup`)."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "batch_id", "created_batch", "source_row",
                   *CONVERTED)
        if keys.empty:
            return pd.DataFrame(columns=columns)
        lookup, params = self._lookup("lookup_keys", CONSUMPTION_KEY,
                                      list(zip(*columns_as_lists(keys, CONSUMPTION_KEY), strict=True)))
        join = " AND ".join(f"c.{k} = k.{k}" for k in CONSUMPTION_KEY)
        select = ", ".join({"batch_id": "b.batch_id", "created_batch": "cb.batch_id AS created_batch"}.get(c, f"c.{c}")
                           for c in columns)
        found = self._frame(f"SELECT {select} FROM {lookup} k JOIN consumption_rows c ON {join} "
                            "LEFT JOIN batch_keys b ON b.key = c.batch_key "
                            "LEFT JOIN batch_keys cb ON cb.key = c.created_batch_key", params)
        return found if not found.empty else pd.DataFrame(columns=columns)

    def insert_consumption(self, rows: pd.DataFrame | ConsumptionRows) -> int:
        """Insert new consumption rows (all of :data:`CONSUMPTION_COLUMNS`, or made ready by
        :meth:`rows_ready` before the transaction); call inside a transaction.

        The factor set and the batches become small integer keys, the timestamps are kept only where they
        differ from the batch's time; the rows go in as plain tuples (COPY on PostgreSQL).
        """
        if not len(rows):
            return 0
        ready = rows if isinstance(rows, ConsumptionRows) else self.rows_ready(rows)
        frame, keys = ready.frame, self._compact(ready)
        plain = list(AS_GIVEN)
        if ready.lists is None and not any((keys[name] == "").any() for name in STAMPED):
            # COPY's CSV cannot tell an empty string from NULL: a row with a missing timestamp takes the other way
            self.conn.copy_frame("consumption_rows", COMPACT_COLUMNS,
                                 frame[plain].assign(**keys)[list(COMPACT_COLUMNS)])
            return len(ready)
        lists = ready.lists if ready.lists is not None else dict(zip(plain, columns_as_lists(frame, plain),
                                                                     strict=True))
        lists = {**lists, **{name: values.tolist() for name, values in keys.items()}}
        # Columns empty in every row (the NCV of most carriers, timestamps that are the batch's) are left to
        # their default NULL: sqlite3 binds a None far more slowly than a number or a string.
        columns = [c for c in COMPACT_COLUMNS if lists[c][0] is not None or lists[c].count(None) < len(ready)]
        self._insert_columns("consumption_rows", columns, [lists[c] for c in columns])
        return len(ready)

    def revise_consumption(self, frame: pd.DataFrame) -> int:
        """Replace the values of stored rows by their new revision; call inside a transaction."""
        if frame.empty:
            return 0
        keys = self._compact(self.rows_ready(frame, created=False))
        plain = [*CONSUMPTION_VALUES, *CONVERTED, "revision", "source_row"]
        lists = [*columns_as_lists(frame, plain), *(values.tolist() for values in keys.values()),
                 *columns_as_lists(frame, CONSUMPTION_KEY)]
        self.conn.executemany(_update_by_key_sql([*plain, *keys]), zip(*lists, strict=True))
        return len(frame)

    def consumption(self, scope: Scope, *, enterprise_id: str | None = None, start: str | None = None,
                    end: str | None = None, region: str | None = None,
                    columns: Sequence[str] = CONSUMPTION_COLUMNS) -> pd.DataFrame:
        """Stored consumption rows inside the scope, optionally for one enterprise, region and period range."""
        return self._frame(*_consumption_query(scope, enterprise_id, start, end, region, columns))

    def consumption_records(self, scope: Scope, *, enterprise_id: str | None = None, start: str | None = None,
                            end: str | None = None, region: str | None = None,
                            columns: Sequence[str] = CONSUMPTION_COLUMNS) -> list[dict[str, Any]]:
        """The rows of :meth:`consumption` as dicts of plain values (a request's few rows need no frame)."""
        return self._rows(*_consumption_query(scope, enterprise_id, start, end, region, columns))

    def consumption_totals(self, scope: Scope, *, by: Sequence[str], region: str | None = None,
                           enterprise_id: str | None = None, start: str | None = None,
                           end: str | None = None, enterprise_ids: Collection[str] | None = None) -> pd.DataFrame:
        """Sums of energy [GJ], tce (both bases) and CO2 [t], with the row and enterprise counts, grouped by
        any of :data:`GROUPINGS` (year, period, carrier, purpose, enterprise_id, industry, region); of one
        enterprise, of ``enterprise_ids``, or of all in the scope."""
        unknown = [name for name in by if name not in GROUPINGS]
        if unknown:
            raise InvalidInput(f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
        condition, params = conditions(scope, "c.enterprise_id",
                                       equal={"e.region": region, "c.enterprise_id": enterprise_id},
                                       since=("c.period", start), until=("c.period", end),
                                       among=("c.enterprise_id", enterprise_ids))
        keys = ", ".join(f"{GROUPINGS[name]} AS {name}" for name in by)
        group = ", ".join(GROUPINGS[name] for name in by)
        sql = (f"SELECT {keys + ', ' if keys else ''}SUM(c.energy_gj) AS energy_gj, "
               "SUM(c.tce_equivalent) AS tce_equivalent, SUM(c.tce_equal) AS tce_equal, SUM(c.co2_t) AS co2_t, "
               "COUNT(*) AS rows, COUNT(DISTINCT c.enterprise_id) AS enterprises "
               f"FROM consumption_rows c JOIN enterprises e ON e.id = c.enterprise_id WHERE {condition}"
               + (f" GROUP BY {group} ORDER BY {group}" if group else ""))
        return int_years(self._frame(sql, params))

    def monthly_tce(self, scope: Scope, *, region: str | None = None, enterprise_id: str | None = None,
                    start: str | None = None, end: str | None = None,
                    enterprise_ids: Collection[str] | None = None) -> pd.DataFrame:
        """tce (both bases) and CO2 per enterprise and month."""
        return self.consumption_totals(scope, by=["enterprise_id", "period"], region=region,
                                       enterprise_id=enterprise_id, start=start, end=end,
                                       enterprise_ids=enterprise_ids)

    def reported_months(self, scope: Scope, *, region: str | None = None) -> pd.DataFrame:
        """Per enterprise and period: rows reported and the latest submission date (for missing/late reports)."""
        condition, params = conditions(scope, "c.enterprise_id", equal={"e.region": region})
        return self._frame(
            "SELECT c.enterprise_id, c.period, COUNT(*) AS rows, "
            "MAX(CASE WHEN c.submitted_at IS NULL THEN b.stamp ELSE NULLIF(c.submitted_at, '') END) AS submitted_at "
            "FROM consumption_rows c JOIN enterprises e ON e.id = c.enterprise_id "
            f"LEFT JOIN batch_keys b ON b.key = c.batch_key WHERE {condition} "
            "GROUP BY c.enterprise_id, c.period ORDER BY c.enterprise_id, c.period", params)

    def consumption_for_batch(self, batch_id: str) -> pd.DataFrame:
        """Rows first stored by a batch, as they are now (for re-computing its content hash)."""
        columns = ", ".join(f"c.{name}" for name in _CONTENT)
        return self._frame(f"SELECT {columns} FROM consumption_rows c JOIN batch_keys b ON b.key = "
                           "c.created_batch_key WHERE b.batch_id = ?", [batch_id])

    def consumption_by_batch(self) -> dict[str, pd.DataFrame]:
        """Every row, as it is now, under the batch that first stored it: one pass over the table for the audit's
        re-computation of every batch's content (no index on the creating batch is needed)."""
        columns = ", ".join(f"c.{name}" for name in _CONTENT)
        rows = self._frame(f"SELECT b.batch_id AS created_batch, {columns} FROM consumption_rows c "
                           "JOIN batch_keys b ON b.key = c.created_batch_key")
        return {str(batch): group.drop(columns="created_batch").reset_index(drop=True)
                for batch, group in rows.groupby("created_batch", sort=False)}

    def consumption_with_revisions(self) -> pd.DataFrame:
        """Rows that have been revised at least once (revision > 1), with their current values."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision")
        return self._frame(f"SELECT {', '.join(columns)} FROM consumption_rows WHERE revision > 1")

    # -- re-conversion ------------------------------------------------------------------------------------

    def stale_conversions(self, factor_version: str) -> pd.DataFrame:
        """Rows converted with another factor version, or with a factor that stood in for a missing year."""
        return self._frame(
            "SELECT c.enterprise_id, c.period, c.carrier, c.purpose, c.quantity, c.unit, c.ncv, c.ncv_unit, "
            "c.energy_gj AS old_energy_gj, c.tce_equivalent AS old_tce_equivalent, c.tce_equal AS old_tce_equal, "
            "c.co2_t AS old_co2_t FROM consumption_rows c LEFT JOIN factor_sets f ON f.key = c.factor_key "
            "WHERE f.factor_version IS NULL OR f.factor_version <> ? OR f.factor_fallback = 1",
            [factor_version])

    def update_conversions(self, frame: pd.DataFrame) -> int:
        """Write re-converted values (not a revision: the submitted values stay); call inside a transaction."""
        if frame.empty:
            return 0
        lists = [*columns_as_lists(frame, CONVERTED), self._factor_keys(*distinct(frame, FACTOR_SET)).tolist(),
                 *columns_as_lists(frame, CONSUMPTION_KEY)]
        self.conn.executemany(_update_by_key_sql([*CONVERTED, "factor_key"]), zip(*lists, strict=True))
        return len(frame)
