"""Monthly consumption rows, the monthly totals kept beside them, and their re-conversion with newer factors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from carbon.errors import InvalidInput
from carbon.store.engine import Engine, Scope, columns_as_lists, conditions, insert_sql, int_years

__all__ = [
    "CONSUMPTION_COLUMNS", "CONSUMPTION_KEY", "CONSUMPTION_VALUES", "GROUPINGS", "MONTHLY_TOTALS_REBUILD",
    "ConsumptionMixin", "MonthlySums", "monthly_sums",
]

# The natural key of a monthly consumption row, and the columns stored for it.
CONSUMPTION_KEY: tuple[str, ...] = ("enterprise_id", "period", "carrier", "purpose")
CONSUMPTION_VALUES: tuple[str, ...] = ("quantity", "unit", "ncv", "ncv_unit")
CONSUMPTION_COLUMNS: tuple[str, ...] = (
    *CONSUMPTION_KEY, *CONSUMPTION_VALUES, "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor",
    "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version", "revision", "batch_id", "created_batch",
    "source_row", "submitted_at", "updated_at",
)
# What consumption can be summed by, and the SQL of each (c: consumption, e: its enterprise).
GROUPINGS: dict[str, str] = {
    "year": "substr(c.period, 1, 4)", "period": "c.period", "carrier": "c.carrier", "purpose": "c.purpose",
    "enterprise_id": "c.enterprise_id", "industry": "e.industry", "region": "e.region",
}
_CONVERTED = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")
_TOTALS_KEY = ("region", "period", "carrier", "purpose")
_MONTH_KEY = ("enterprise_id", "period", "region")
_SUMMED = (*_CONVERTED, "rows")
_SMALL = 256  # up to this many rows, sums are folded in plain Python
# The monthly totals and the enterprises' reported months, computed from the stored rows (both tables empty).
MONTHLY_TOTALS_REBUILD = (
    "INSERT INTO monthly_totals (region, period, carrier, purpose, energy_gj, tce_equivalent, tce_equal, co2_t, "
    "rows) SELECT e.region, c.period, c.carrier, c.purpose, SUM(c.energy_gj), SUM(c.tce_equivalent), "
    "SUM(c.tce_equal), SUM(c.co2_t), COUNT(*) FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id "
    "GROUP BY e.region, c.period, c.carrier, c.purpose",
    "INSERT INTO enterprise_months (enterprise_id, period, region) SELECT DISTINCT c.enterprise_id, c.period, "
    "e.region FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id",
)


@dataclass(frozen=True)
class MonthlySums:
    """What rows add to the monthly totals, as parameter rows: ``totals`` (region, period, carrier, purpose,
    the converted sums, rows) and, for added rows, the enterprises' reported ``months`` (enterprise, period,
    region)."""

    totals: list[tuple[Any, ...]]
    months: list[tuple[Any, ...]]


def monthly_sums(rows: pd.DataFrame, *, sign: float = 1.0) -> MonthlySums:
    """Fold converted rows (with their enterprise's region) into monthly sums; ``sign=-1`` takes them away.

    Pure: made before a write transaction, so the transaction only adds them.
    """
    if rows.empty:
        return MonthlySums([], [])
    keys, values = list(_TOTALS_KEY), list(_SUMMED)
    if len(rows) <= _SMALL:  # a request's few rows: plain Python beats pandas' group-by overhead
        totals: dict[tuple[Any, ...], list[float]] = {}
        columns = [rows[name].tolist() for name in (*keys, *_CONVERTED)]
        for row in zip(*columns, strict=True):
            if any(pd.isna(key) for key in row[:4]):
                continue  # as the group-by below, which leaves out missing keys
            sums = totals.setdefault(tuple(row[:4]), [0.0] * len(values))
            for i, value in enumerate(row[4:]):
                sums[i] += value * sign if value == value else 0.0  # NaN counts as nothing, as in a SQL SUM
            sums[-1] += sign
        month_rows = zip(*(rows[name].tolist() for name in _MONTH_KEY), strict=True) if sign > 0 else ()
        months = [row for row in dict.fromkeys(month_rows) if not any(pd.isna(value) for value in row)]
        return MonthlySums([(*key, *sums) for key, sums in totals.items()], months)
    # grouped on categorical codes: a chunk of a million rows folds into a few hundred sums quickly
    frame = rows[keys + list(_CONVERTED)].astype({k: "category" for k in keys}).assign(rows=1)
    grouped = frame.groupby(keys, observed=True, sort=False)[values].sum().reset_index()
    grouped[values] = grouped[values] * sign
    months: list[tuple[Any, ...]] = []
    if sign > 0:
        distinct = (rows[list(_MONTH_KEY)].astype("category")
                    .groupby(list(_MONTH_KEY), observed=True, sort=False).size().reset_index()[list(_MONTH_KEY)])
        months = list(zip(*columns_as_lists(distinct, _MONTH_KEY), strict=True))
    return MonthlySums(list(zip(*columns_as_lists(grouped, [*keys, *values]), strict=True)), months)


def _update_by_key_sql(columns: Sequence[str]) -> str:
    """``UPDATE consumption SET`` the columns given of the row with a natural key (parameters: values, key)."""
    return (f"UPDATE consumption SET {', '.join(f'{c} = ?' for c in columns)} "
            f"WHERE {' AND '.join(f'{k} = ?' for k in CONSUMPTION_KEY)}")


class ConsumptionMixin(Engine):
    """Consumption rows, monthly totals, reported months and stale conversions."""

    # -- rows ---------------------------------------------------------------------------------------------

    def consumption_pairs(self) -> set[tuple[str, str]]:
        """Every (enterprise, period) that has at least one stored row (an index-only scan)."""
        return set(self.conn.execute("SELECT DISTINCT enterprise_id, period FROM consumption").fetchall())

    def stored_pairs(self, pairs: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
        """Which of these (enterprise, period) pairs have at least one stored row.

        The pairs go into a temporary table probed on the primary key's prefix: the cost follows the number of
        pairs asked for, not the size of the table.
        """
        if not pairs:
            return set()
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS lookup_pairs (enterprise_id TEXT, period TEXT)")
        self.conn.execute("DELETE FROM lookup_pairs")
        self.conn.executemany("INSERT INTO lookup_pairs VALUES (?, ?)", pairs)
        rows = self.conn.execute(
            "SELECT k.enterprise_id, k.period FROM lookup_pairs k WHERE EXISTS (SELECT 1 FROM consumption c "
            "WHERE c.enterprise_id = k.enterprise_id AND c.period = k.period)").fetchall()
        return {(row[0], row[1]) for row in rows}

    def existing_consumption(self, keys: pd.DataFrame) -> pd.DataFrame:
        """Stored rows with exactly these natural keys (columns enterprise_id, period, carrier, purpose).

        The keys go into a temporary table and are joined on the primary key, so the cost follows the number
        of keys asked for, not the size of the table.
        """
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "batch_id", "created_batch", "source_row",
                   *_CONVERTED)
        if keys.empty:
            return pd.DataFrame(columns=columns)
        self.conn.execute("CREATE TEMP TABLE IF NOT EXISTS lookup_keys "
                          "(enterprise_id TEXT, period TEXT, carrier TEXT, purpose TEXT)")
        self.conn.execute("DELETE FROM lookup_keys")
        self.conn.executemany("INSERT INTO lookup_keys VALUES (?, ?, ?, ?)",
                              zip(*columns_as_lists(keys, CONSUMPTION_KEY), strict=True))
        join = " AND ".join(f"c.{k} = k.{k}" for k in CONSUMPTION_KEY)
        found = self._frame(f"SELECT {', '.join(f'c.{c}' for c in columns)} FROM lookup_keys k "
                            f"JOIN consumption c ON {join}")
        return found if not found.empty else pd.DataFrame(columns=columns)

    def insert_consumption(self, frame: pd.DataFrame) -> int:
        """Insert new consumption rows (all of :data:`CONSUMPTION_COLUMNS`); call inside a transaction."""
        if frame.empty:
            return 0
        self._insert("consumption", CONSUMPTION_COLUMNS, frame)
        return len(frame)

    def revise_consumption(self, frame: pd.DataFrame) -> int:
        """Replace the values of stored rows by their new revision; call inside a transaction."""
        if frame.empty:
            return 0
        values = [c for c in CONSUMPTION_COLUMNS if c not in CONSUMPTION_KEY and c != "created_batch"]
        self.conn.executemany(_update_by_key_sql(values),
                              zip(*columns_as_lists(frame, [*values, *CONSUMPTION_KEY]), strict=True))
        return len(frame)

    def consumption(self, scope: Scope, *, enterprise_id: str | None = None, start: str | None = None,
                    end: str | None = None, region: str | None = None,
                    columns: Sequence[str] = CONSUMPTION_COLUMNS) -> pd.DataFrame:
        """Stored consumption rows inside the scope, optionally for one enterprise, region and period range."""
        condition, params = conditions(scope, "c.enterprise_id",
                                       equal={"c.enterprise_id": enterprise_id, "e.region": region},
                                       since=("c.period", start), until=("c.period", end))
        join = " JOIN enterprises e ON e.id = c.enterprise_id" if region is not None else ""
        select = ", ".join(f"c.{name}" for name in columns)
        return self._frame(f"SELECT {select} FROM consumption c{join} WHERE {condition} "
                           "ORDER BY c.enterprise_id, c.period, c.carrier, c.purpose", params)

    def consumption_totals(self, scope: Scope, *, by: Sequence[str], region: str | None = None,
                           enterprise_id: str | None = None, start: str | None = None,
                           end: str | None = None) -> pd.DataFrame:
        """Sums of energy [GJ], tce (both bases) and CO2 [t], with the row and enterprise counts, grouped by
        any of :data:`GROUPINGS` (year, period, carrier, purpose, enterprise_id, industry, region)."""
        unknown = [name for name in by if name not in GROUPINGS]
        if unknown:
            raise InvalidInput(f"cannot group by {', '.join(unknown)}; choose from {', '.join(GROUPINGS)}")
        condition, params = conditions(scope, "c.enterprise_id",
                                       equal={"e.region": region, "c.enterprise_id": enterprise_id},
                                       since=("c.period", start), until=("c.period", end))
        keys = ", ".join(f"{GROUPINGS[name]} AS {name}" for name in by)
        group = ", ".join(GROUPINGS[name] for name in by)
        sql = (f"SELECT {keys + ', ' if keys else ''}SUM(c.energy_gj) AS energy_gj, "
               "SUM(c.tce_equivalent) AS tce_equivalent, SUM(c.tce_equal) AS tce_equal, SUM(c.co2_t) AS co2_t, "
               "COUNT(*) AS rows, COUNT(DISTINCT c.enterprise_id) AS enterprises "
               f"FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id WHERE {condition}"
               + (f" GROUP BY {group} ORDER BY {group}" if group else ""))
        return int_years(self._frame(sql, params))

    def monthly_tce(self, scope: Scope, *, region: str | None = None, enterprise_id: str | None = None,
                    start: str | None = None, end: str | None = None) -> pd.DataFrame:
        """tce (both bases) and CO2 per enterprise and month."""
        return self.consumption_totals(scope, by=["enterprise_id", "period"], region=region,
                                       enterprise_id=enterprise_id, start=start, end=end)

    def reported_months(self, scope: Scope, *, region: str | None = None) -> pd.DataFrame:
        """Per enterprise and period: rows reported and the latest submission date (for missing/late reports)."""
        condition, params = conditions(scope, "c.enterprise_id", equal={"e.region": region})
        return self._frame(
            "SELECT c.enterprise_id, c.period, COUNT(*) AS rows, MAX(c.submitted_at) AS submitted_at "
            f"FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id WHERE {condition} "
            "GROUP BY c.enterprise_id, c.period ORDER BY c.enterprise_id, c.period", params)

    def consumption_for_batch(self, batch_id: str) -> pd.DataFrame:
        """Rows first stored by a batch, as they are now (for re-computing its content hash)."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision", "source_row")
        return self._frame(f"SELECT {', '.join(columns)} FROM consumption WHERE created_batch = ?", [batch_id])

    def consumption_with_revisions(self) -> pd.DataFrame:
        """Rows that have been revised at least once (revision > 1), with their current values."""
        columns = (*CONSUMPTION_KEY, *CONSUMPTION_VALUES, "revision")
        return self._frame(f"SELECT {', '.join(columns)} FROM consumption WHERE revision > 1")

    # -- monthly totals -----------------------------------------------------------------------------------

    def region_year_summary(self, region: str) -> pd.DataFrame:
        """A region's tce and CO2 per year, carrier and purpose (from the monthly totals)."""
        frame = self._frame(
            "SELECT substr(period, 1, 4) AS year, carrier, purpose, SUM(tce_equivalent) AS tce_equivalent, "
            "SUM(co2_t) AS co2_t FROM monthly_totals WHERE region = ? "
            "GROUP BY substr(period, 1, 4), carrier, purpose", [region])
        return int_years(frame)

    def region_year_counts(self, region: str) -> pd.DataFrame:
        """Per year: how many months and how many enterprises of a region have reports."""
        frame = self._frame(
            "SELECT substr(period, 1, 4) AS year, COUNT(DISTINCT period) AS months, "
            "COUNT(DISTINCT enterprise_id) AS enterprises FROM enterprise_months WHERE region = ? "
            "GROUP BY substr(period, 1, 4)", [region])
        return int_years(frame)

    def add_to_monthly_totals(self, rows: pd.DataFrame, *, sign: float = 1.0) -> None:
        """Add (or, with ``sign=-1``, take away) converted rows to the monthly totals; inside the batch's
        transaction. ``rows`` has region, enterprise_id, period, carrier, purpose and the converted values."""
        self.add_monthly_sums(monthly_sums(rows, sign=sign))

    def add_monthly_sums(self, sums: MonthlySums) -> None:
        """Add sums made by :func:`monthly_sums` (before the transaction) to the monthly totals; inside it."""
        if sums.totals:
            columns = [*_TOTALS_KEY, *_SUMMED]
            self.conn.executemany(
                f"{insert_sql('monthly_totals', columns)} ON CONFLICT ({', '.join(_TOTALS_KEY)}) DO UPDATE SET "
                + ", ".join(f"{c} = monthly_totals.{c} + excluded.{c}" for c in _SUMMED), sums.totals)
        if sums.months:
            self.conn.executemany(
                f"{insert_sql('enterprise_months', _MONTH_KEY)} ON CONFLICT (enterprise_id, period) DO NOTHING",
                sums.months)

    def rebuild_monthly_totals(self) -> None:
        """Recompute the monthly totals from the stored rows (after re-conversions, or a region change)."""
        with self.transaction():
            self.conn.execute("DELETE FROM monthly_totals")
            self.conn.execute("DELETE FROM enterprise_months")
            for statement in MONTHLY_TOTALS_REBUILD:
                self.conn.execute(statement)

    # -- re-conversion ------------------------------------------------------------------------------------

    def stale_conversions(self, factor_version: str) -> pd.DataFrame:
        """Rows converted with another factor version, or with a factor that stood in for a missing year."""
        return self._frame(
            "SELECT enterprise_id, period, carrier, purpose, quantity, unit, ncv, ncv_unit, "
            "energy_gj AS old_energy_gj, tce_equivalent AS old_tce_equivalent, tce_equal AS old_tce_equal, "
            "co2_t AS old_co2_t FROM consumption "
            "WHERE factor_version IS NULL OR factor_version <> ? OR factor_fallback = 1",
            [factor_version])

    def update_conversions(self, frame: pd.DataFrame) -> int:
        """Write re-converted values (not a revision: the submitted values stay); call inside a transaction."""
        values = (*_CONVERTED, "tce_factor", "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version")
        self.conn.executemany(_update_by_key_sql(values),
                              zip(*columns_as_lists(frame, [*values, *CONSUMPTION_KEY]), strict=True))
        return len(frame)
