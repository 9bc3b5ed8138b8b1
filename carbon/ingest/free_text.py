"""Bounds on the free text and open-ended values of a submission, shared by every entry point.

A submission's free-text fields end up in exports that people open in spreadsheets, and its numbers in sums
that people act on: a submission date must be a date, a product name a name, a meter reading a reading.
Each check returns a boolean mask (True = refuse) so that the validators reject rows, never whole files.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

__all__ = [
    "EARLIEST_READING", "MAX_READING_VALUE", "PRODUCT_NAME", "bad_submitted_at", "implausible_readings",
    "is_product_name",
]

MAX_READING_VALUE = 1e12
"""Largest meter reading or interval amount accepted [in the reading's unit]: a register reading of a whole
site stays far below it, 1e308 is a typo or an attack."""

EARLIEST_READING = pd.Timestamp("2000-01-01", tz="UTC")
"""Readings before this are clock faults (meters reset to 0001-01-01 or 1970-01-01)."""

PRODUCT_NAME = re.compile(r"[^\W_][\w .()（）/·+%-]{0,63}")
"""A product name: a letter or digit, then letters, digits, spaces and ``. ( ) / · + % -`` (64 characters)."""

_CHINESE_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?")
_DATE_LIKE = re.compile(r"\d{4}[-/.]\d{1,2}[-/.]\d{1,2}(?:[ T][0-9:.+\-Z]*)?")


def _blank(values: pd.Series) -> np.ndarray:
    return (values.isna() | values.astype(str).str.strip().eq("")).to_numpy()


def bad_submitted_at(frame: pd.DataFrame) -> np.ndarray:
    """Rows whose ``submitted_at`` is given but is not a date or timestamp (a formula, free text, 2024-13-45).

    Parameters
    ----------
    frame : DataFrame
        A canonical frame, with or without a ``submitted_at`` column.

    Returns
    -------
    ndarray of bool
        True where the value must be refused.
    """
    if "submitted_at" not in frame:
        return np.zeros(len(frame), dtype=bool)
    values = frame["submitted_at"]
    text = values.astype(str).str.strip().str.replace(_CHINESE_DATE, r"\1-\2-\3", regex=True)
    shaped = text.str.fullmatch(_DATE_LIKE).fillna(False).to_numpy(dtype=bool)
    parsed = pd.to_datetime(text.where(shaped, None).str.replace(r"[/.](?=\d)", "-", regex=True).str[:10],
                            errors="coerce", format="%Y-%m-%d")
    return ~_blank(values) & (~shaped | parsed.isna().to_numpy())


def implausible_readings(stamps: pd.Series, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Readings out of bounds: stamped before :data:`EARLIEST_READING`, or larger than :data:`MAX_READING_VALUE`.

    Parameters
    ----------
    stamps : Series of Timestamp (UTC)
        Parsed reading times (NaT where unreadable; those are refused elsewhere).
    values : ndarray of float
        Reading values (NaN where unreadable).

    Returns
    -------
    (ndarray of bool, ndarray of bool)
        Too early, too large.
    """
    early = (stamps < EARLIEST_READING).fillna(False).to_numpy(dtype=bool)
    with np.errstate(invalid="ignore"):
        large = np.nan_to_num(values, nan=0.0) > MAX_READING_VALUE
    return early, large


def is_product_name(text: str) -> bool:
    """Whether ``text`` is a product name by :data:`PRODUCT_NAME`."""
    return PRODUCT_NAME.fullmatch(text) is not None
