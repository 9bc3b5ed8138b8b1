"""Inputs every indicator shares: statistics by year, read and checked the same way.

Indicators take pandas objects indexed by year (or with a ``year`` column). These helpers turn them into float
copies indexed by int year, sorted, and raise :class:`IndicatorInputError` with a message naming the column and the
years when something cannot be used, so that intensity, peak and decomposition refuse bad input alike.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import CarbonError

__all__ = [
    "IndicatorInputError", "as_positive", "as_year", "check_not_negative", "year_index", "yearly_frame",
    "yearly_series",
]


class IndicatorInputError(CarbonError, ValueError):
    """Statistics, a target or a parameter that an indicator cannot be computed from."""


def as_year(value: Any, name: str) -> int:
    """A year given as an integer (not a bool, not a float); ``name`` says which parameter it is in the message."""
    if isinstance(value, bool):
        raise IndicatorInputError(f"{name} must be a year (an integer), got {value!r}")
    try:
        return operator.index(value)
    except TypeError:
        raise IndicatorInputError(f"{name} must be a year (an integer), got {value!r}") from None


def as_positive(value: Any, name: str) -> float:
    """A finite number above zero, as float; ``name`` (with its unit) says which one it is in the message."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise IndicatorInputError(f"{name} must be a positive number, got {value!r}") from None
    if not math.isfinite(number) or number <= 0:
        raise IndicatorInputError(f"{name} must be a positive number, got {value!r}")
    return number


def year_index(index: pd.Index, what: str) -> pd.Index:
    """The index as int64 years, or an error naming the offending labels."""
    if index.dtype.kind in "iu":  # integers already (the usual case): nothing to parse
        years = pd.Index(index.to_numpy().astype("int64"), name="year")
    else:
        numbers = pd.to_numeric(pd.Series(index, dtype=object), errors="coerce")
        bad = index[numbers.isna().to_numpy() | (numbers.to_numpy() % 1 != 0)]
        if len(bad):
            raise IndicatorInputError(f"{what} must be indexed by year (integers); not a year: {list(bad)[:5]}")
        years = pd.Index(numbers.astype("int64"), name="year")
    duplicated = years[years.duplicated()].unique()
    if len(duplicated):
        raise IndicatorInputError(f"{what} has more than one row for year(s) {list(duplicated)}")
    return years


def yearly_frame(frame: pd.DataFrame, what: str, required: Iterable[str], optional: Iterable[str] = (),
                  aliases: dict[str, str] | None = None) -> pd.DataFrame:
    """A copy indexed by int year (a ``year`` column is used when present), sorted, with float columns.

    ``aliases`` maps other names of a column (the store's) to the canonical one, used when the canonical name is
    absent.

    Raises
    ------
    IndicatorInputError
        When ``frame`` is not a DataFrame, lacks a required column, has non-year or repeated index labels, or
        holds a value that is not a number.
    """
    if not isinstance(frame, pd.DataFrame):
        raise IndicatorInputError(f"{what} must be a pandas DataFrame indexed by year, got {type(frame).__name__}")
    required, optional = list(required), list(optional)
    renames = {alias: name for alias, name in (aliases or {}).items()
               if alias in frame.columns and name not in frame.columns}
    if renames:
        frame = frame.rename(columns=renames)
    missing = [name for name in required if name not in frame.columns]
    if missing:
        raise IndicatorInputError(f"{what} lacks the column(s) {', '.join(missing)}; "
                                  f"expected {', '.join(required)} (optional: {', '.join(optional) or 'none'})")
    if "year" in frame.columns:
        frame = frame.set_index("year")
    columns = [name for name in (*required, *optional) if name in frame.columns]
    out = pd.DataFrame(index=year_index(frame.index, what))
    for name in columns:
        out[name] = _floats(frame[name].to_numpy(), what, name, out.index)
    return out.sort_index()


def _floats(raw: np.ndarray, what: str, name: str, years: pd.Index) -> np.ndarray:
    """A column's values as float64; numbers pass as they are, anything else is parsed (and refused by year)."""
    if raw.dtype.kind in "iuf":
        return raw.astype("float64")
    values = pd.to_numeric(pd.Series(raw, dtype=object), errors="coerce").astype("float64")
    unreadable = values.isna().to_numpy() & pd.notna(pd.Series(raw, dtype=object)).to_numpy()
    if unreadable.any():
        raise IndicatorInputError(f"{what}: {name} is not a number in year(s) "
                                  f"{list(years[unreadable])} ({list(raw[unreadable])[:3]})")
    return values.to_numpy()


def yearly_series(series: pd.Series, what: str) -> pd.Series:
    """A float copy indexed by int year, sorted."""
    if not isinstance(series, pd.Series):
        raise IndicatorInputError(f"{what} must be a pandas Series indexed by year, got {type(series).__name__}")
    frame = yearly_frame(series.to_frame("value"), what, ["value"])
    return frame["value"].rename(series.name)


def check_not_negative(values: pd.Series, what: str, *, strictly: bool = False) -> None:
    """Refuse negative values (with ``strictly``, also zero), naming the years and the first values."""
    bad = values < 0 if not strictly else values <= 0
    if bad.any():
        relation = "positive" if strictly else "zero or more"
        raise IndicatorInputError(f"{what} must be {relation}; year(s) {list(values.index[bad])}: "
                                  f"{list(values[bad])[:3]}")

