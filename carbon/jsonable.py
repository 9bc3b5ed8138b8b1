"""Plain JSON values from pandas and numpy: the one place NaN, NA and numpy scalars are turned into JSON."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["jsonable", "plain", "records"]


def plain(value: Any) -> Any:
    """One value as strict JSON takes it: NaN, NA and infinities as None, numpy scalars as Python ones.

    Examples
    --------
    >>> plain(np.float64("nan")), plain(np.int64(3)), plain(np.bool_(True)), plain("x")
    (None, 3, True, 'x')
    """
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | np.integer):
        return int(value)
    if isinstance(value, float | np.floating):
        return float(value) if math.isfinite(value) else None
    if isinstance(value, np.generic):
        return value.item()
    return value


def jsonable(value: Any) -> Any:
    """A nested structure of dicts, lists and tuples with every leaf made :func:`plain`."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    return plain(value)


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Frame rows as JSON-ready dictionaries (each value :func:`plain`).

    Converted column by column: numbers and flags through ``tolist`` (the Python values ``astype(object)``
    would give), only other columns value by value.
    """
    names = list(frame.columns)
    if len(set(names)) != len(names):  # repeated labels: the row-wise way keeps its own rule for them
        return [{key: plain(value) for key, value in row.items()} for row in frame.astype(object).to_dict("records")]
    columns = [_plain_column(frame.iloc[:, position]) for position in range(len(names))]
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)] if names else \
        [{} for _ in range(len(frame))]


def _plain_column(series: pd.Series) -> list[Any]:
    """A column's values as :func:`plain` makes them."""
    values = series.to_numpy() if isinstance(series.dtype, np.dtype) else None
    if values is not None and values.dtype.kind in "iub":
        return values.tolist()
    if values is not None and values.dtype.kind == "f":
        finite = np.isfinite(values)
        listed = values.tolist()
        return listed if finite.all() else [v if ok else None for v, ok in zip(listed, finite.tolist(), strict=True)]
    return [value if type(value) is str else plain(value) for value in series.astype(object).tolist()]
