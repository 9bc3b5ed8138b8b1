"""Monthly consumption rows, the monthly totals kept beside them, and their re-conversion with newer factors.

The rows are stored compactly (migration ``m008_compact_consumption``): ``consumption_rows`` holds the natural
key, the submitted and converted values and three small integer keys — the row's factor set (the three factor
ids, the fallback flag and the factor version, in ``factor_sets``), the batch that last wrote it and the batch
that first stored it (both in ``batch_keys``, which also keeps each batch's time). A row's ``submitted_at`` and
``updated_at`` are stored only where they differ from the time of the batch that last wrote it (NULL: the
batch's time; an empty string: no value). The view ``consumption`` shows every row with all of
:data:`CONSUMPTION_COLUMNS`; this module translates between the two, so callers see frames of those columns.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import InvalidInput
from carbon.store.engine import SMALL_INSERT_VALUES, Engine
from carbon.store.sql import Scope, columns_as_lists, conditions, insert_sql, int_years
from carbon.store.totals import CONVERTED

__all__ = [
    "COMPACT_COLUMNS", "CONSUMPTION_COLUMNS", "CONSUMPTION_KEY", "CONSUMPTION_VALUES", "FACTOR_SET", "GROUPINGS",
    "ConsumptionMixin", "ConsumptionRows",
]

# The natural key of a monthly consumption row, and the columns stored for it.
CONSUMPTION_KEY: tuple[str, ...] = ("enterprise_id", "period", "carrier", "purpose")
CONSUMPTION_VALUES: tuple[str, ...] = ("quantity", "unit", "ncv", "ncv_unit")
CONSUMPTION_COLUMNS: tuple[str, ...] = (
    *CONSUMPTION_KEY, *CONSUMPTION_VALUES, "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "tce_factor",
    "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version", "revision", "batch_id", "created_batch",
    "source_row", "submitted_at", "updated_at",
)
# What a row's factor key stands for (a row of factor_sets), and the columns of the compact rows.
FACTOR_SET: tuple[str, ...] = ("tce_factor", "tce_equal_factor", "co2_factor", "factor_fallback", "factor_version")
_STAMPED = ("submitted_at", "updated_at")  # stored only where they differ from the writing batch's time
COMPACT_COLUMNS: tuple[str, ...] = (
    *CONSUMPTION_KEY, *CONSUMPTION_VALUES, "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "factor_key",
    "revision", "batch_key", "created_batch_key", "source_row", *_STAMPED,
)
# What consumption can be summed by, and the SQL of each (c: consumption, e: its enterprise).
GROUPINGS: dict[str, str] = {
    "year": "substr(c.period, 1, 4)", "period": "c.period", "carrier": "c.carrier", "purpose": "c.purpose",
    "enterprise_id": "c.enterprise_id", "industry": "e.industry", "region": "e.region",
}
# The columns stored as given (the others are keys into factor_sets and batch_keys, and the batch's timestamps).
_AS_GIVEN = tuple(c for c in COMPACT_COLUMNS if c not in ("factor_key", "batch_key", "created_batch_key", *_STAMPED))
_SMALL = 256  # up to this many rows, distinct combinations are found in plain Python
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


def _distinct(frame: pd.DataFrame, columns: Sequence[str]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Per row, the index of its combination of ``columns``; and the distinct combinations, in order of first
    appearance, as plain Python values (missing → None, flags → 0/1).

    Hashed per column and then on the combined codes: a million rows with a few dozen combinations cost a few
    vectorised passes, not a million tuples. A request's few rows are plain tuples (pandas' passes cost more).
    """
    if len(frame) <= _SMALL:
        seen: dict[tuple[Any, ...], int] = {}
        rows = zip(*(frame[name].to_numpy(dtype=object) for name in columns), strict=True)
        small = [seen.setdefault(tuple(_plain(v) for v in row), len(seen)) for row in rows]
        return np.asarray(small, dtype=np.int64), list(seen)
    combined = np.zeros(len(frame), dtype=np.int64)
    for name in columns:
        codes, uniques = pd.factorize(frame[name], use_na_sentinel=False)
        combined = combined * (len(uniques) + 1) + codes
    codes, _ = pd.factorize(combined)
    # factorize numbers the combinations in order of first appearance: the first row of each, in that order
    first = pd.Series(codes).drop_duplicates().index.to_numpy()
    values = [frame[name].to_numpy(dtype=object)[first] for name in columns]
    return codes, [tuple(_plain(v) for v in combination) for combination in zip(*values, strict=True)]


def _plain(value: Any) -> Any:
    """A key column's value as the database gives it back: None for missing, int for flags and integers."""
    if value is None or (isinstance(value, float) and value != value) or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_ | np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value


def _stamped(given: np.ndarray, batch_times: np.ndarray) -> np.ndarray:
    """Timestamps as stored: None where equal to the writing batch's time, ``""`` where missing, else the value."""
    missing = pd.isna(given)
    same = (given == batch_times) & ~missing
    return np.where(same, None, np.where(missing, "", given))


@dataclass(frozen=True)
class ConsumptionRows:
    """Consumption rows made ready to store before the write lock is taken (:meth:`ConsumptionMixin.rows_ready`):
    their distinct batches and factor sets, and their plain columns as lists — inside the lock only the keys of
    those few batches and sets are looked up, instead of a frame's columns being taken apart while other writers
    wait.
    """

    frame: pd.DataFrame
    batch_codes: np.ndarray  # per row, an index into batch_ids
    batch_ids: list[Any]
    batch_times: list[Any]  # the time each batch wrote its rows (its first row's ``updated_at``)
    created_codes: np.ndarray | None  # per row, an index into created_ids (None: not stored, as by a revision)
    created_ids: list[Any]
    factor_codes: np.ndarray  # per row, an index into factor_sets
    factor_sets: list[tuple[Any, ...]]
    stamped: dict[str, np.ndarray]  # the raw ``submitted_at`` and ``updated_at``
    lists: dict[str, list[Any]] | None  # the plain columns, for the SQLite insert (None: COPY of the frame)

    def __len__(self) -> int:
        return len(self.frame)


class ConsumptionMixin(Engine):
    """Consumption rows, monthly totals, reported months and stale conversions."""

    # -- keys of the compact rows --------------------------------------------------------------------------

    def _factor_keys(self, codes: np.ndarray, combinations: Sequence[tuple[Any, ...]]) -> np.ndarray:
        """Per row, the key of its factor set (:data:`FACTOR_SET`; ``codes`` index ``combinations``), adding the
        sets not stored yet.

        The sets already met are remembered (a set's row never changes), so the usual batch asks nothing.
        """
        known = self._factor_sets_known
        if any(combination not in known for combination in combinations):
            rows = self.conn.execute(f"SELECT key, {', '.join(FACTOR_SET)} FROM factor_sets").fetchall()
            known.update((tuple(row[1:]), row[0]) for row in rows)
        keys = []
        for combination in combinations:
            if combination not in known:
                known[combination] = self.conn.execute(
                    f"{insert_sql('factor_sets', FACTOR_SET)} RETURNING key", list(combination)).fetchone()[0]
            keys.append(known[combination])
        return np.asarray(keys, dtype=np.int64)[codes]

    def _batch_keys(self, ids: Sequence[Any], times: Sequence[Any]) -> dict[Any, tuple[int | None, Any]]:
        """The key and time of each batch id (None → no key), adding the batches not stored yet with ``times``
        (the time each one wrote its rows, or None where unknown)."""
        found: dict[Any, tuple[int | None, Any]] = {None: (None, None)}
        known = self._batch_keys_known  # this transaction's: its own batch is known to have no key yet
        found.update((batch, key) for batch, key in known.items() if key is not None)
        wanted = [batch for batch in dict.fromkeys(ids) if batch is not None and batch not in known]
        for start in range(0, len(wanted), 500):
            part = wanted[start:start + 500]
            rows = self.conn.execute(f"SELECT batch_id, key, stamp FROM batch_keys WHERE batch_id IN "
                                     f"({', '.join('?' * len(part))})", part).fetchall()
            found.update((row[0], (row[1], row[2])) for row in rows)
        for batch, time in zip(ids, times, strict=True):
            if batch is None:
                continue
            if batch not in found:
                key = self.conn.execute("INSERT INTO batch_keys (batch_id, stamp) VALUES (?, ?) RETURNING key",
                                        [batch, time]).fetchone()[0]
                found[batch] = (key, time)
            elif found[batch][1] is None and time is not None:  # first known only as a row's creator
                self.conn.execute("UPDATE batch_keys SET stamp = ? WHERE key = ?", [time, found[batch][0]])
                found[batch] = (found[batch][0], time)
        if self._depth:
            known.update((batch, key) for batch, key in found.items() if batch is not None)
        return found

    def rows_ready(self, frame: pd.DataFrame, *, created: bool = True) -> ConsumptionRows:
        """Rows of :data:`CONSUMPTION_COLUMNS` made ready for :meth:`insert_consumption` (``created``) or
        :meth:`revise_consumption`; no database access, so it can run before the write lock is taken."""
        batch_codes, batches = _distinct(frame, ["batch_id"])
        first = pd.Series(batch_codes).drop_duplicates().index.to_numpy()
        created_codes, created_ids = None, []
        if created:
            created_codes, created_batches = _distinct(frame, ["created_batch"])
            created_ids = [batch[0] for batch in created_batches]
        factor_codes, factor_sets = _distinct(frame, FACTOR_SET)
        lists = None
        if created and self.dialect == "sqlite":
            lists = dict(zip(_AS_GIVEN, columns_as_lists(frame, _AS_GIVEN), strict=True))
        return ConsumptionRows(
            frame, batch_codes, [batch[0] for batch in batches],
            [_plain(t) for t in frame["updated_at"].to_numpy(dtype=object)[first]], created_codes, created_ids,
            factor_codes, factor_sets, {name: frame[name].to_numpy(dtype=object) for name in _STAMPED}, lists)

    def _compact(self, rows: ConsumptionRows) -> dict[str, Any]:
        """The key and time columns of rows as stored: factor_key, batch_key, (created_batch_key,)
        submitted_at and updated_at, as arrays."""
        known = self._batch_keys(rows.batch_ids, rows.batch_times)
        if rows.created_codes is not None:
            known.update(self._batch_keys(rows.created_ids, [None] * len(rows.created_ids)))
        ids = rows.batch_ids
        batch_key = np.array([known[b][0] for b in ids], dtype=object)[rows.batch_codes]
        times = np.array([known[b][1] for b in ids], dtype=object)[rows.batch_codes]
        columns: dict[str, Any] = {"factor_key": self._factor_keys(rows.factor_codes, rows.factor_sets),
                                   "batch_key": batch_key}
        if rows.created_codes is not None:
            columns["created_batch_key"] = np.array([known[b][0] for b in rows.created_ids],
                                                    dtype=object)[rows.created_codes]
        columns.update({name: _stamped(values, times) for name, values in rows.stamped.items()})
        return columns

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
        prefix)."""
        if not pairs:
            return set()
        lookup, params = self._lookup("lookup_pairs", ("enterprise_id", "period"), pairs)
        rows = self.conn.execute(
            f"SELECT k.enterprise_id, k.period FROM {lookup} k WHERE EXISTS (SELECT 1 FROM consumption_rows c "
            "WHERE c.enterprise_id = k.enterprise_id AND c.period = k.period)", params).fetchall()
        return {(row[0], row[1]) for row in rows}

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
        plain = list(_AS_GIVEN)
        if ready.lists is None and not any((keys[name] == "").any() for name in _STAMPED):
            # COPY's CSV cannot tell an empty string from NULL: a row with a missing timestamp takes the other way
            self.conn.copy_frame("consumption_rows", COMPACT_COLUMNS,
                                 frame[plain].assign(**keys)[list(COMPACT_COLUMNS)])
            return len(frame)
        lists = ready.lists if ready.lists is not None else dict(zip(plain, columns_as_lists(frame, plain),
                                                                     strict=True))
        lists = {**lists, **{name: values.tolist() for name, values in keys.items()}}
        # Columns empty in every row (the NCV of most carriers, timestamps that are the batch's) are left to
        # their default NULL: sqlite3 binds a None far more slowly than a number or a string.
        columns = [c for c in COMPACT_COLUMNS if lists[c][0] is not None or lists[c].count(None) < len(frame)]
        self._insert_rows("consumption_rows", columns, list(zip(*(lists[c] for c in columns), strict=True)))
        return len(frame)

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
        lists = [*columns_as_lists(frame, CONVERTED), self._factor_keys(*_distinct(frame, FACTOR_SET)).tolist(),
                 *columns_as_lists(frame, CONSUMPTION_KEY)]
        self.conn.executemany(_update_by_key_sql([*CONVERTED, "factor_key"]), zip(*lists, strict=True))
        return len(frame)
