"""The compact form of consumption rows, and what turns frames into it.

The rows are stored compactly (migration ``m008_compact_consumption``): ``consumption_rows`` holds the natural
key, the submitted and converted values and three small integer keys — the row's factor set (the three factor
ids, the fallback flag and the factor version, in ``factor_sets``), the batch that last wrote it and the batch
that first stored it (both in ``batch_keys``, which also keeps each batch's time). A row's ``submitted_at`` and
``updated_at`` are stored only where they differ from the time of the batch that last wrote it (NULL: the
batch's time; an empty string: no value). The view ``consumption`` shows every row with all of
:data:`CONSUMPTION_COLUMNS`. :meth:`CompactRowsMixin.rows_ready` takes a frame of those columns apart before a
write transaction; inside it, :meth:`CompactRowsMixin._compact` looks up the keys.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from carbon.store.engine import Engine
from carbon.store.sql import FEW_ROWS, columns_as_lists, insert_sql

__all__ = [
    "AS_GIVEN", "COMPACT_COLUMNS", "CONSUMPTION_COLUMNS", "CONSUMPTION_KEY", "CONSUMPTION_VALUES", "FACTOR_SET",
    "STAMPED", "CompactRowsMixin", "ConsumptionRows", "distinct",
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
STAMPED = ("submitted_at", "updated_at")  # stored only where they differ from the writing batch's time
COMPACT_COLUMNS: tuple[str, ...] = (
    *CONSUMPTION_KEY, *CONSUMPTION_VALUES, "energy_gj", "tce_equivalent", "tce_equal", "co2_t", "factor_key",
    "revision", "batch_key", "created_batch_key", "source_row", *STAMPED,
)
# The columns stored as given (the others are keys into factor_sets and batch_keys, and the batch's timestamps).
AS_GIVEN = tuple(c for c in COMPACT_COLUMNS if c not in ("factor_key", "batch_key", "created_batch_key", *STAMPED))


def distinct(frame: pd.DataFrame | Mapping[str, list[Any]],
             columns: Sequence[str]) -> tuple[np.ndarray, list[tuple[Any, ...]]]:
    """Per row, the index of its combination of ``columns``; and the distinct combinations, in order of first
    appearance, as plain Python values (missing → None, flags → 0/1).

    Hashed per column and then on the combined codes: a million rows with a few dozen combinations cost a few
    vectorised passes, not a million tuples. A request's few rows are plain tuples (pandas' passes cost more).
    """
    if isinstance(frame, Mapping) or len(frame) <= FEW_ROWS:
        seen: dict[tuple[Any, ...], int] = {}
        rows = zip(*(frame[name] if isinstance(frame, Mapping) else frame[name].to_numpy(dtype=object)
                     for name in columns), strict=True)
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
    kind = type(value)
    if kind is str or kind is int or (kind is float and value == value):
        return value  # the usual values, without the checks below
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

    frame: pd.DataFrame | None  # the rows (None: given as lists, see ``lists``)
    batch_codes: np.ndarray  # per row, an index into batch_ids
    batch_ids: list[Any]
    batch_times: list[Any]  # the time each batch wrote its rows (its first row's ``updated_at``)
    created_codes: np.ndarray | None  # per row, an index into created_ids (None: not stored, as by a revision)
    created_ids: list[Any]
    factor_codes: np.ndarray  # per row, an index into factor_sets
    factor_sets: list[tuple[Any, ...]]
    stamped: dict[str, np.ndarray]  # the raw ``submitted_at`` and ``updated_at``
    lists: dict[str, list[Any]] | None  # the plain columns, for VALUES (None: COPY of the frame)

    def __len__(self) -> int:
        return len(self.batch_codes)


class CompactRowsMixin(Engine):
    """The keys of compact rows: factor sets and batches, looked up or added (inside a write transaction)."""

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

    def rows_ready(self, rows: pd.DataFrame | Mapping[str, list[Any]], *, created: bool = True) -> ConsumptionRows:
        """Rows of :data:`CONSUMPTION_COLUMNS` made ready for :meth:`insert_consumption` (``created``) or
        :meth:`revise_consumption`; no database access, so it can run before the write lock is taken.

        ``rows`` is a frame, or a request's few rows as lists per column (:func:`carbon.store.sql.plain_columns`),
        which go in as statements of many VALUES on either engine (not COPY).
        """
        given_as_lists = isinstance(rows, Mapping)
        batch_codes, batches = distinct(rows, ["batch_id"])
        first = np.unique(batch_codes, return_index=True)[1]  # codes count batches in order of first appearance
        created_codes, created_ids = None, []
        if created:
            created_codes, created_batches = distinct(rows, ["created_batch"])
            created_ids = [batch[0] for batch in created_batches]
        factor_codes, factor_sets = distinct(rows, FACTOR_SET)
        stamped = {name: np.array(rows[name], dtype=object) if given_as_lists else rows[name].to_numpy(dtype=object)
                   for name in STAMPED}
        lists = None
        if created and given_as_lists:
            lists = {name: [_plain(value) for value in rows[name]] for name in AS_GIVEN}
        elif created and self.dialect == "sqlite":
            lists = dict(zip(AS_GIVEN, columns_as_lists(rows, AS_GIVEN), strict=True))
        return ConsumptionRows(
            None if given_as_lists else rows, batch_codes, [batch[0] for batch in batches],
            [_plain(t) for t in stamped["updated_at"][first]], created_codes, created_ids, factor_codes, factor_sets,
            stamped, lists)

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
