"""The monthly totals kept beside the consumption rows (per region, month, carrier and purpose) and the months
each enterprise reported: summed before a batch's transaction, added inside it, rebuilt from the rows on demand."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from carbon.store.engine import Engine
from carbon.store.sql import FEW_ROWS, Rows, columns_as_lists, int_years, year_ranges

__all__ = ["CONVERTED", "MONTHLY_TOTALS_REBUILD", "MonthlySums", "TotalsMixin", "monthly_sums"]

CONVERTED: tuple[str, ...] = ("energy_gj", "tce_equivalent", "tce_equal", "co2_t")  # a row's converted values
_TOTALS_KEY = ("region", "period", "carrier", "purpose")
_MONTH_KEY = ("enterprise_id", "period", "region")
_SUMMED = (*CONVERTED, "rows")
# The monthly totals and the enterprises' reported months, computed from the stored rows (both tables empty).
MONTHLY_TOTALS_REBUILD = (
    "INSERT INTO monthly_totals (region, period, carrier, purpose, energy_gj, tce_equivalent, tce_equal, co2_t, "
    "rows) SELECT e.region, c.period, c.carrier, c.purpose, SUM(c.energy_gj), SUM(c.tce_equivalent), "
    "SUM(c.tce_equal), SUM(c.co2_t), COUNT(*) FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id "
    "GROUP BY e.region, c.period, c.carrier, c.purpose",
    "INSERT INTO enterprise_months (enterprise_id, period, region) SELECT DISTINCT c.enterprise_id, c.period, "
    "e.region FROM consumption c JOIN enterprises e ON e.id = c.enterprise_id",
)
# The same, read from the compact rows themselves: SQLite keeps a view's joins in an aggregate even when unused.
_REBUILD_FROM_ROWS = tuple(sql.replace("FROM consumption c", "FROM consumption_rows c")
                           for sql in MONTHLY_TOTALS_REBUILD)


@dataclass(frozen=True)
class MonthlySums:
    """What rows add to the monthly totals, as parameter rows: ``totals`` (region, period, carrier, purpose,
    the converted sums, rows) and, for added rows, the enterprises' reported ``months`` (enterprise, period,
    region)."""

    totals: list[tuple[Any, ...]]
    months: list[tuple[Any, ...]]


def monthly_sums(rows: pd.DataFrame | Mapping[str, list[Any]], *, sign: float = 1.0) -> MonthlySums:
    """Fold converted rows (with their enterprise's region) into monthly sums; ``sign=-1`` takes them away.

    ``rows`` is a frame, or a request's few rows as lists per column (:func:`carbon.store.sql.plain_columns`).
    Pure: made before a write transaction, so the transaction only adds them.
    """
    if isinstance(rows, Mapping):
        return _small_sums(rows, sign)
    if rows.empty:
        return MonthlySums([], [])
    if len(rows) <= FEW_ROWS:  # a request's few rows: plain Python beats pandas' group-by overhead
        return _small_sums({name: rows[name].tolist() for name in {*_TOTALS_KEY, *CONVERTED, *_MONTH_KEY}}, sign)
    keys, values = list(_TOTALS_KEY), list(_SUMMED)
    # grouped on categorical codes: a chunk of a million rows folds into a few hundred sums quickly
    frame = rows[keys + list(CONVERTED)].astype({k: "category" for k in keys}).assign(rows=1)
    grouped = frame.groupby(keys, observed=True, sort=False)[values].sum().reset_index()
    grouped[values] = grouped[values] * sign
    months: list[tuple[Any, ...]] = []
    if sign > 0:
        distinct = (rows[list(_MONTH_KEY)].astype("category")
                    .groupby(list(_MONTH_KEY), observed=True, sort=False).size().reset_index()[list(_MONTH_KEY)])
        months = list(zip(*columns_as_lists(distinct, _MONTH_KEY), strict=True))
    return MonthlySums(list(zip(*columns_as_lists(grouped, [*keys, *values]), strict=True)), months)


def _small_sums(columns: Mapping[str, list[Any]], sign: float) -> MonthlySums:
    """:func:`monthly_sums` of a few rows given as lists per column."""
    totals: dict[tuple[Any, ...], list[float]] = {}
    for row in zip(*(columns[name] for name in (*_TOTALS_KEY, *CONVERTED)), strict=True):
        if any(pd.isna(key) for key in row[:4]):
            continue  # as the group-by of monthly_sums, which leaves out missing keys
        sums = totals.setdefault(tuple(row[:4]), [0.0] * len(_SUMMED))
        for i, value in enumerate(row[4:]):
            sums[i] += value * sign if value == value else 0.0  # NaN counts as nothing, as in a SQL SUM
        sums[-1] += sign
    month_rows = zip(*(columns[name] for name in _MONTH_KEY), strict=True) if sign > 0 else ()
    months = [row for row in dict.fromkeys(month_rows) if not any(pd.isna(value) for value in row)]
    return MonthlySums([(*key, *sums) for key, sums in totals.items()], months)


class TotalsMixin(Engine):
    """Monthly totals and reported months: the region reports read these instead of every row."""

    def region_year_summary(self, region: str) -> pd.DataFrame:
        """A region's tce and CO2 per year, carrier and purpose (from the monthly totals)."""
        return self.region_year_summary_rows(region).frame()

    def region_year_summary_rows(self, region: str, years: Collection[int] | None = None) -> Rows:
        """:meth:`region_year_summary` as plain rows (``year`` an integer), ordered by year, carrier, purpose; of
        these years only, if given."""
        within, params = year_ranges(years)
        return self._tuples(
            "SELECT CAST(substr(period, 1, 4) AS INTEGER) AS year, carrier, purpose, "
            "SUM(tce_equivalent) AS tce_equivalent, SUM(co2_t) AS co2_t FROM monthly_totals WHERE region = ?"
            f"{within} GROUP BY substr(period, 1, 4), carrier, purpose ORDER BY substr(period, 1, 4), carrier, purpose",
            [region, *params])

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
        # each key once in the sums: one statement may add them all (PostgreSQL refuses a key twice)
        self._insert_rows("monthly_totals", [*_TOTALS_KEY, *_SUMMED], sums.totals,
                          suffix=f" ON CONFLICT ({', '.join(_TOTALS_KEY)}) DO UPDATE SET "
                          + ", ".join(f"{c} = monthly_totals.{c} + excluded.{c}" for c in _SUMMED))
        self._insert_rows("enterprise_months", _MONTH_KEY, sums.months,
                          suffix=" ON CONFLICT (enterprise_id, period) DO NOTHING")

    def rebuild_monthly_totals(self) -> None:
        """Recompute the monthly totals from the stored rows (after re-conversions, or a region change)."""
        with self.transaction():
            self.conn.execute("DELETE FROM monthly_totals")
            self.conn.execute("DELETE FROM enterprise_months")
            for statement in _REBUILD_FROM_ROWS:
                self.conn.execute(statement)
