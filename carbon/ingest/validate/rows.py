"""What the row checks share: the result, the collected rejections, and decisions made once per distinct value.

A column of a million rows holds few distinct values (enterprises, months, carriers, units). Each check decides
once per distinct value and maps the decision back to the rows through integer codes (:func:`per_value`);
:class:`Coded` keeps such per-row codes into a list of distinct canonical values, so that later steps (grouping,
duplicates, the good rows' categoricals) work on integers, never on a million Python strings.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from carbon.carriers import get_carrier
from carbon.errors import CarbonError

__all__ = [
    "Checked", "Coded", "Columns", "Rejections", "blank_mask", "carrier_id", "categorical", "is_blank", "per_value",
    "per_value_array",
]

# Category lists up to this long are kept once built: a submission's carriers, units, months and factor ids
# recur from request to request, while a large file's long lists of enterprises would only fill the cache.
_CACHED_CATEGORIES = 64


@dataclass
class Checked:
    """The rows that passed, in canonical form, and the rows rejected with their reasons."""

    good: pd.DataFrame
    rejected: pd.DataFrame

    @property
    def counts(self) -> dict[str, int]:
        return {"good": len(self.good), "rejected": len(self.rejected)}


class Columns:
    """A frame's columns, each taken out of it once, and columns put in place without copying the frame.

    Taking a column out of a frame builds a new Series every time, and adding one (``assign``) copies the frame;
    for a submission of a few rows either costs more than the check that needs it. The checks read the columns
    through this, as they would from the frame: ``name in columns``, ``columns[name]``, ``len(columns)`` (rows).
    """

    def __init__(self, frame: pd.DataFrame) -> None:
        self.frame = frame
        self._taken: dict[str, pd.Series] = {}

    def __len__(self) -> int:
        return len(self.frame)

    def __contains__(self, name: str) -> bool:
        return name in self._taken or name in self.frame

    def __getitem__(self, name: str) -> pd.Series:
        column = self._taken.get(name)
        if column is None:
            column = self._taken[name] = self.frame[name]
        return column

    def __setitem__(self, name: str, column: pd.Series) -> None:
        """Put a column in place (over the frame's one of that name): a Series on the frame's index."""
        self._taken[name] = column


_NO_REJECTIONS = pd.DataFrame({"row": pd.Series(dtype=int), "field": pd.Series(dtype=object),
                               "reason": pd.Series(dtype=object), "value": pd.Series(dtype=object)})


class Rejections:
    """Collects (row, field, reason, value) for rows as checks fail them; each row is rejected once.

    ``alive`` marks the rows no check has rejected yet; a later check never rejects a row again, so the first
    failing check names the row's problem.
    """

    def __init__(self, frame: pd.DataFrame | Columns) -> None:
        self.frame = frame
        self.alive = np.ones(len(frame), dtype=bool)
        self.parts: list[pd.DataFrame] = []

    def reject(self, mask: np.ndarray, field: str, reasons: str | np.ndarray | pd.Series,
               values: pd.Series | np.ndarray | None = None) -> None:
        """Reject the rows of ``mask`` still alive, on ``field``, with one reason or one per row."""
        mask = np.asarray(mask, dtype=bool) & self.alive
        if not mask.any():
            return
        if isinstance(reasons, pd.Series):
            reasons = reasons.to_numpy()
        reason = reasons[mask] if isinstance(reasons, np.ndarray) else reasons
        if values is None and field in self.frame:
            values = self.frame[field]
        if values is None:
            shown: Any = [None] * int(mask.sum())
        elif isinstance(values, pd.Series):
            # The rejected rows alone as objects, as Series.astype(object) gives them: the column's array is what
            # it converts, and converting all of a large column for a few rejected rows is wasted.
            shown = np.asarray(values.array[mask].astype(object), dtype=object)
        else:
            shown = np.asarray(values, dtype=object)[mask]
        self.parts.append(pd.DataFrame({
            "row": self.frame["row"].to_numpy()[mask], "field": field, "reason": reason,
            "value": [None if v is None or (isinstance(v, float) and v != v) else str(v) for v in shown],
        }))
        self.alive &= ~mask

    def result(self) -> pd.DataFrame:
        """The rejections in row order: ``row``, ``field``, ``reason``, ``value`` (as written)."""
        if not self.parts:
            return _NO_REJECTIONS.copy()  # a copy of a template: building an empty frame costs far more
        # One check failing (the usual case) needs no concatenation: it would only copy that check's rows.
        parts = self.parts[0] if len(self.parts) == 1 else pd.concat(self.parts, ignore_index=True)
        return parts.sort_values("row", kind="stable", ignore_index=True)


def per_value(series: pd.Series, decide: Callable[[Any], Any]) -> tuple[np.ndarray, list[Any]]:
    """Decide once per distinct value; return the per-row codes and the per-value decisions.

    A missing or blank value is decided as None.
    """
    if isinstance(series.dtype, pd.CategoricalDtype):
        categorical = series.array  # the Categorical: its codes without a Series around them
        codes = categorical.codes.astype(np.intp)
        values: list[Any] = categorical.categories.tolist()
        if (codes < 0).any():
            codes = np.where(codes < 0, len(values), codes)
            values.append(None)
    else:
        # Text factorised as its array: the same codes and values, without wrapping the values in an index.
        column = series.array if isinstance(series.dtype, pd.StringDtype) else series
        codes, found = pd.factorize(column, use_na_sentinel=False)
        values = [None if is_blank(v) else v for v in found]
    return codes, [decide(v) for v in values]


def per_value_array(series: pd.Series, decide: Callable[[Any], Any]) -> np.ndarray:
    """Per-row results of a per-distinct-value decision, as an object array."""
    codes, decided = per_value(series, decide)
    return np.array(decided, dtype=object)[codes]


def is_blank(value: Any) -> bool:
    """Missing (None, NA, NaN) or only white space."""
    if value is None or value is pd.NA:
        return True
    if isinstance(value, float) and value != value:
        return True
    return isinstance(value, str) and not value.strip()


def blank_mask(series: pd.Series) -> np.ndarray:
    """Missing or only white space: per category for categoricals, vectorised for text."""
    if isinstance(series.dtype, pd.CategoricalDtype):
        codes, blank = per_value(series, is_blank)  # a missing value is decided as blank too
        return np.asarray(blank, dtype=bool)[codes]
    if (isinstance(series.dtype, pd.StringDtype) or series.dtype == object
            or pd.api.types.is_string_dtype(series.dtype)):
        # Compared in C, not stripped in Python: a value of spaces alone fails its own parse with its reason.
        values = series.to_numpy(dtype=object, na_value=None)
        return pd.isna(values) | (values == "")
    # What Series.isna computes, without the Series it would wrap the mask in.
    return np.array(series.array.isna(), dtype=bool)


def carrier_id(value: Any) -> str | CarbonError | None:
    """The canonical id of a carrier as written, the error naming an unknown one, or None for a blank."""
    if value is None:
        return None
    try:
        return get_carrier(str(value)).id
    except CarbonError as error:
        return error


@dataclass(frozen=True)
class Coded:
    """Per-row codes into a list of distinct values; code -1 stands for none.

    Attributes
    ----------
    codes : ndarray of intp
        One code per row.
    values : list
        The distinct values, sorted, without repeats.
    """

    codes: np.ndarray
    values: list[Hashable]

    @classmethod
    def of(cls, codes: np.ndarray, decisions: Sequence[Hashable | None]) -> Coded:
        """From per-row codes into per-distinct-value decisions (as :func:`per_value` gives them): the
        decisions that coincide (电力 and electricity, both ``electricity``) share one code; None becomes -1."""
        values = sorted({d for d in decisions if d is not None})  # type: ignore[type-var]
        lookup = {value: position for position, value in enumerate(values)}
        mapped = np.array([-1 if d is None else lookup[d] for d in decisions], dtype=np.intp)
        return cls(mapped[codes] if len(mapped) else np.full(len(codes), -1, dtype=np.intp), values)

    @classmethod
    def text(cls, series: pd.Series) -> Coded:
        """A column as text (``str`` of each value, blanks as none), coded."""
        return cls.of(*per_value(series, lambda v: None if v is None else str(v)))

    def map(self, decide: Callable[[Any], Hashable | None]) -> Coded:
        """The same rows coded by a decision on each distinct value (a month → its year); none stays none."""
        decisions = [decide(value) for value in self.values] + [None]  # the last one for the rows coded -1
        return Coded.of(np.where(self.codes < 0, len(self.values), self.codes), decisions)

    def categorical(self, rows: np.ndarray) -> pd.Categorical:
        """The values of some rows (a boolean mask or positions) as a categorical of the values they use."""
        codes = self.codes[rows]
        # The values in use, counted on the codes (cheaper than building every category and dropping some).
        used = np.flatnonzero(np.bincount(codes + 1, minlength=len(self.values) + 1)[1:])
        if len(used) == len(self.values):  # all in use (the usual case): the codes stand as they are
            return categorical(codes, self.values)
        renumber = np.full(len(self.values) + 1, -1, dtype=np.intp)  # the last one for code -1 (none)
        renumber[used] = np.arange(len(used))
        return categorical(renumber[codes], [self.values[i] for i in used.tolist()])


def categorical(codes: np.ndarray, categories: Sequence[Hashable]) -> pd.Categorical:
    """``pd.Categorical.from_codes(codes, categories=categories, validate=False)``, cheaper when it recurs.

    Parameters
    ----------
    codes : ndarray of int
        Per row, a position in ``categories``; -1 for a missing value.
    categories : sequence
        Distinct values, none missing.

    Returns
    -------
    Categorical
        Unordered, as ``from_codes`` builds it.
    """
    # Building the dtype (an index of the categories, checked for missing and repeated values) costs more than
    # the rest together for a few rows; short lists of strings reuse the dtype built for the same list before.
    if len(categories) <= _CACHED_CATEGORIES and all(type(value) is str for value in categories):
        dtype = _categorical_dtype(tuple(categories))
    else:
        dtype = pd.CategoricalDtype(list(categories), ordered=False)
    return pd.Categorical.from_codes(codes, dtype=dtype, validate=False)


@lru_cache(maxsize=1024)
def _categorical_dtype(categories: tuple[str, ...]) -> pd.CategoricalDtype:
    # A dtype is immutable (its categories an immutable index), so results may share it.
    return pd.CategoricalDtype(list(categories), ordered=False)
