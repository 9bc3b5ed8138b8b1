"""The values and SQL fragments every part of the store shares: who may see what (:class:`Scope`), Python values
for the drivers, column-wise parameter lists, COPY text, and INSERT/UPSERT/WHERE clauses both engines run."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["FEW_ROWS", "Rows", "Scope", "clean", "columns_as_lists", "conditions", "csv_text", "insert_sql",
           "int_years", "json_read", "json_text", "plain_columns", "upsert_sql", "year_ranges"]

FEW_ROWS = 256  # up to this many rows (a request's), plain Python lists beat pandas' per-column passes


@dataclass(frozen=True)
class Scope:
    """Which enterprises a caller may see: all of them, or one.

    Examples
    --------
    >>> Scope.everything().allows("GZHTZ-0001"), Scope.only("GZHTZ-0002").allows("GZHTZ-0001")
    (True, False)
    """

    enterprise_id: str | None = None

    @classmethod
    def everything(cls) -> Scope:
        return cls(None)

    @classmethod
    def only(cls, enterprise_id: str) -> Scope:
        return cls(enterprise_id)

    @property
    def is_limited(self) -> bool:
        return self.enterprise_id is not None

    def allows(self, enterprise_id: str) -> bool:
        return self.enterprise_id is None or self.enterprise_id == enterprise_id

    def where(self, column: str = "enterprise_id") -> tuple[str, list[Any]]:
        """A SQL condition and its parameters that keep rows inside the scope."""
        if self.enterprise_id is None:
            return "1 = 1", []
        return f"{column} = ?", [self.enterprise_id]


# -- values and SQL fragments -------------------------------------------------------------------------------

def clean(value: Any) -> Any:
    """A value as the database stores it: numpy scalars as Python ones, NaN/NA as NULL, flags as 0/1.

    Examples
    --------
    >>> clean(np.float64(1.5)), clean(float("nan")), clean(np.True_), clean(pd.NA)
    (1.5, None, 1, None)
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return int(value)  # flags are 0/1 on both engines
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.generic):
        return clean(value.item())
    return value


def json_text(value: Any, **options: Any) -> str:
    """A value as the JSON text a column stores (non-ASCII kept, anything else as its string)."""
    return json.dumps(value, ensure_ascii=False, default=str, **options)


def json_read(rows: list[dict[str, Any]], *keys: str) -> list[dict[str, Any]]:
    """The rows with their JSON text columns read back (empty: ``{}``)."""
    for row in rows:
        for key in keys:
            row[key] = json.loads(row[key]) if row.get(key) else {}
    return rows


def plain_columns(frame: pd.DataFrame) -> dict[str, list[Any]]:
    """A few rows' columns as Python lists, in one conversion of the whole frame (missing values NaN or None).

    For a request's rows: taking each column apart on its own costs more than all the work done on its values.
    """
    return dict(zip(frame.columns, frame.to_numpy(dtype=object).T.tolist(), strict=True))


def columns_as_lists(frame: pd.DataFrame, columns: Sequence[str]) -> list[list[Any]]:
    """Frame columns as Python lists with NaN → None, column by column (fast), for ``executemany``.

    Zip the lists (``zip(*lists, strict=True)``) for the rows.
    """
    return [_column_as_list(frame[name]) for name in columns]


def _column_as_list(series: pd.Series) -> list[Any]:
    if isinstance(series.dtype, pd.CategoricalDtype):
        # Build from the few categories, not from a million values.
        categories = np.append(series.cat.categories.to_numpy(dtype=object), None)
        return categories[series.cat.codes.to_numpy()].tolist()
    values = series.to_numpy()
    if values.dtype.kind in "fc":
        missing = np.isnan(values)
        return values.tolist() if not missing.any() else np.where(missing, None, values.astype(object)).tolist()
    if values.dtype.kind == "b":
        return values.astype(np.int64).tolist()  # flags are stored as 0/1 on both engines
    if values.dtype.kind in "iu":
        return values.tolist()
    values = series.astype(object).to_numpy()
    return np.where(pd.isna(values), None, values).tolist()


# Characters that make CSV quote a text field.
_NEEDS_QUOTING = frozenset(',"\r\n')


def csv_text(frame: pd.DataFrame) -> str:
    """The frame as CSV lines for ``COPY … (FORMAT csv)``: missing values empty (NULL), no header, no index.

    Fields are joined directly when no text needs quoting — numbers, and text columns whose distinct values hold
    no comma, quote or line break (identifiers, units, batch ids): about four times faster than
    :meth:`pandas.DataFrame.to_csv`, whose output it equals. Any other frame goes through ``to_csv``.

    Examples
    --------
    >>> csv_text(pd.DataFrame({"id": ["a", None], "value": [1.5, float("nan")], "row": [1, 2]}))
    'a,1.5,1\\n,,2\\n'
    >>> csv_text(pd.DataFrame({"note": ["x, y"]}))
    '"x, y"\\n'
    """
    fields = [_csv_fields(frame.iloc[:, i]) for i in range(frame.shape[1])]
    if any(column is None for column in fields):
        return frame.to_csv(header=False, index=False, lineterminator="\n")
    if not len(frame):
        return ""
    return "\n".join(map(",".join, zip(*fields, strict=True))) + "\n"


def _csv_fields(series: pd.Series) -> list[str] | None:
    """A column's CSV fields, or None when it holds something :func:`csv_text` leaves to ``to_csv``."""
    kind = series.dtype.kind if isinstance(series.dtype, np.dtype) else None
    if kind == "f":
        values = series.to_numpy()
        texts = list(map(repr, values.tolist()))  # repr: the shortest text that reads back as the same float
        for index in np.flatnonzero(np.isnan(values)):
            texts[index] = ""
        return texts
    if kind in ("i", "u"):
        return list(map(str, series.to_numpy().tolist()))
    if kind is not None and kind != "O" and not isinstance(series.dtype, pd.StringDtype):
        return None  # dates, flags, …: to_csv knows how pandas writes them
    if not isinstance(series.dtype, pd.CategoricalDtype):
        texts = series.to_numpy(dtype=object).tolist()
        try:
            joined = ",".join(texts)  # one C pass: a TypeError for a missing or non-text value
        except TypeError:
            pass  # missing values: looked at value by value below
        else:
            # no comma but the separators, no quote or line break, no empty value (it would read as NULL)
            plain = (joined.count(",") == len(texts) - 1 and '"' not in joined and "\n" not in joined
                     and "\r" not in joined and all(texts))
            return texts if plain or not texts else None
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    distinct = np.asarray(uniques, dtype=object)
    if not all(isinstance(v, str) and v and _NEEDS_QUOTING.isdisjoint(v) for v in distinct):
        return None
    return np.append(distinct, "")[codes].tolist()  # code -1 (missing) → the last entry, empty


def insert_sql(table: str, columns: Sequence[str], *, rows: int = 1) -> str:
    """``INSERT INTO table (columns) VALUES (?, …)``, with ``rows`` rows of parameters.

    Examples
    --------
    >>> insert_sql("tokens", ["id", "role"])
    'INSERT INTO tokens (id, role) VALUES (?, ?)'
    >>> insert_sql("tokens", ["id", "role"], rows=2)
    'INSERT INTO tokens (id, role) VALUES (?, ?), (?, ?)'
    """
    row = f"({', '.join('?' for _ in columns)})"
    return f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([row] * rows)}"


def upsert_sql(table: str, columns: Sequence[str], pk: Sequence[str]) -> str:
    """INSERT … ON CONFLICT DO UPDATE for the columns given (SQLite ≥ 3.24 and PostgreSQL).

    Examples
    --------
    >>> upsert_sql("quotas", ["id", "tce"], ["id"])
    'INSERT INTO quotas (id, tce) VALUES (?, ?) ON CONFLICT (id) DO UPDATE SET tce = excluded.tce'
    """
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk) or f"{pk[0]} = excluded.{pk[0]}"
    return f"{insert_sql(table, columns)} ON CONFLICT ({', '.join(pk)}) DO UPDATE SET {updates}"


def conditions(scope: Scope, scope_column: str, *, equal: Mapping[str, Any] | None = None,
               since: tuple[str, Any] | None = None, until: tuple[str, Any] | None = None,
               until_op: str = "<=", among: tuple[str, Collection[Any] | None] | None = None) -> tuple[str, list[Any]]:
    """A WHERE clause and its parameters: the caller's scope, equalities, a range on one column, and ``among``
    (a column and the values it may take; None for any).

    Examples
    --------
    >>> conditions(Scope.only("E1"), "enterprise_id", equal={"carrier": "电力", "unit": None},
    ...            since=("period", "2024-01"))
    ('enterprise_id = ? AND carrier = ? AND period >= ?', ['E1', '电力', '2024-01'])
    >>> conditions(Scope.everything(), "enterprise_id", among=("enterprise_id", ["E1", "E2"]))
    ('1 = 1 AND enterprise_id IN (?, ?)', ['E1', 'E2'])
    """
    condition, params = scope.where(scope_column)
    for column, value in (equal or {}).items():
        if value is not None:
            condition += f" AND {column} = ?"
            params.append(value)
    if among is not None and among[1] is not None:
        values = list(among[1])
        condition += f" AND {among[0]} IN ({', '.join('?' * len(values))})" if values else " AND 1 = 0"
        params.extend(values)
    for (column, value), op in ((since or ("", None), ">="), (until or ("", None), until_op)):
        if value is not None:
            condition += f" AND {column} {op} ?"
            params.append(value)
    return condition, params


@dataclass(frozen=True)
class Rows:
    """A small query result as plain tuples: cheap to make, to compare and to key a cache by; a frame on demand.

    A report re-reads its inputs after every batch of its region, and most batches leave what it shows as it was:
    comparing tuples tells that in microseconds, where building frames first took milliseconds.
    """

    columns: tuple[str, ...]
    values: tuple[tuple[Any, ...], ...]

    def frame(self, index: str | None = None) -> pd.DataFrame:
        """The rows as a data frame with the query's column names, indexed by column ``index`` if given (and
        there are rows)."""
        frame = pd.DataFrame.from_records(list(self.values), columns=list(self.columns))
        return frame.set_index(index) if index is not None and self.values else frame


def year_ranges(years: Collection[int] | None) -> tuple[str, list[str]]:
    """A condition (`` AND …``, empty for None) that keeps the months (``period``, ``YYYY-MM``) of these years,
    as ranges of the period (an index can serve them), and its parameters."""
    if years is None:
        return "", []
    if not years:
        return " AND 1 = 0", []
    ranges = " OR ".join("period BETWEEN ? AND ?" for _ in years)
    return f" AND ({ranges})", [f"{int(year):04d}-{end}" for year in sorted(years) for end in ("01", "12")]


def int_years(frame: pd.DataFrame) -> pd.DataFrame:
    """Years grouped by ``substr(period, 1, 4)`` come back as text: make them integers (in place)."""
    if "year" in frame and len(frame):
        frame["year"] = frame["year"].astype(int)
    return frame
