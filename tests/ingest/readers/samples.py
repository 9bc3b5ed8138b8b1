"""What the reader tests share: the recorded samples folder and two ways to look at a small result."""

from __future__ import annotations

import math
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

DATA = Path(__file__).resolve().parents[2] / "data"


def one(chunks: Iterable[pd.DataFrame]) -> pd.DataFrame:
    """The single chunk of a small file."""
    frames = list(chunks)
    assert len(frames) == 1
    return frames[0]


def records(frame: pd.DataFrame, *columns: str) -> list[tuple]:
    """The rows of some columns as tuples, with NaN as None."""
    return [tuple(None if isinstance(v, float) and math.isnan(v) else v for v in row)
            for row in frame[list(columns)].astype(object).itertuples(index=False)]
