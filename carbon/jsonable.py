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
    """Frame rows as JSON-ready dictionaries."""
    return [{key: plain(value) for key, value in row.items()} for row in frame.astype(object).to_dict("records")]
