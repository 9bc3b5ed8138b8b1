"""Small questions answered from the maintained summaries (``monthly_totals``, ``enterprise_months``) and the
primary key of ``consumption``: what a region's reports and a batch's alert refresh need, at a cost that follows
the answer rather than the size of the region."""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from carbon.store.engine import Engine
from carbon.store.sql import Rows, Scope, conditions, year_ranges

__all__ = ["SummariesMixin"]


class SummariesMixin(Engine):
    """Reads of the monthly summaries for reports and alert refreshes."""

    def region_years(self, region: str) -> list[int]:
        """The years in which some enterprise of the region reported, ascending."""
        rows = self.conn.execute("SELECT DISTINCT substr(period, 1, 4) FROM monthly_totals WHERE region = ?",
                                 [region]).fetchall()
        return sorted(int(row[0]) for row in rows)

    def reported_periods(self, *, region: str | None = None,
                         enterprise_ids: Collection[str] | None = None) -> pd.DataFrame:
        """The months (``enterprise_id``, ``period``) in which enterprises reported: of a region (or all), or of
        these enterprises only (read from the maintained ``enterprise_months``, by its key for a few)."""
        condition, params = conditions(Scope.everything(), "enterprise_id", equal={"region": region},
                                       among=("enterprise_id", enterprise_ids))
        return self._frame(f"SELECT enterprise_id, period FROM enterprise_months WHERE {condition} "
                           "ORDER BY enterprise_id, period", params)

    def region_recent_periods(self, region: str, count: int) -> list[str]:
        """The ``count`` newest months (``YYYY-MM``) in which some enterprise of the region reported, ascending."""
        rows = self.conn.execute("SELECT DISTINCT period FROM monthly_totals WHERE region = ? "
                                 "ORDER BY period DESC LIMIT ?", [region, int(count)]).fetchall()
        return sorted(row[0] for row in rows)

    def newest_period_of_others(self, region: str, enterprise_ids: Collection[str]) -> str | None:
        """The newest month any enterprise of the region other than these reported (None when none did).

        Walks the (region, period) index from the newest month down: it stops at the first other enterprise.
        """
        ids = sorted(enterprise_ids)
        others = f" AND enterprise_id NOT IN ({', '.join('?' for _ in ids)})" if ids else ""
        row = self.conn.execute(f"SELECT period FROM enterprise_months WHERE region = ?{others} "
                                "ORDER BY period DESC LIMIT 1", [region, *ids]).fetchone()
        return row[0] if row else None

    def region_year_months(self, region: str, years: Collection[int] | None = None) -> Rows:
        """Per year of a region (columns ``year`` as an integer and ``months``, ordered by year): the months with
        reports, from the monthly totals; of these years only, if given."""
        within, params = year_ranges(years)
        return self._tuples(
            "SELECT CAST(substr(period, 1, 4) AS INTEGER) AS year, COUNT(DISTINCT period) AS months "
            f"FROM monthly_totals WHERE region = ?{within} GROUP BY substr(period, 1, 4) "
            "ORDER BY substr(period, 1, 4)", [region, *params])

    def region_year_enterprises(self, region: str, years: Collection[int]) -> dict[int, int]:
        """How many enterprises of the region reported in each of these years.

        One probe of the reported months' key per enterprise of the region and year, instead of counting the
        distinct enterprises over every reported month (the reported months carry their enterprise's region:
        the summaries are rebuilt whenever an enterprise changes region).
        """
        sql = ("SELECT COUNT(*) FROM enterprises e WHERE e.region = ? AND EXISTS (SELECT 1 FROM enterprise_months m "
               "WHERE m.enterprise_id = e.id AND m.period >= ? AND m.period <= ?)")
        return {int(year): int(self.conn.execute(sql, [region, f"{int(year):04d}-01", f"{int(year):04d}-12"])
                               .fetchone()[0]) for year in years}

    def enterprise_rows_version(self, enterprise_id: str) -> tuple[int, int]:
        """The count of an enterprise's stored consumption rows and the sum of their revisions: within one data
        version, a batch that adds or revises any of its rows changes one of them (rows are never taken away
        and a revision only counts up). One range of the primary key."""
        row = self.conn.execute("SELECT COUNT(*), COALESCE(SUM(revision), 0) FROM consumption_rows "
                                "WHERE enterprise_id = ?", [enterprise_id]).fetchone()
        return int(row[0]), int(row[1])
