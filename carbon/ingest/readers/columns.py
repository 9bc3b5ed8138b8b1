"""The canonical columns every reader maps onto, and the cell helpers the readers share.

:data:`VARIABLE_MAP` names, for each source header a person writes (``企业编号``, ``Enterprise ID``,
``消费量（吨）``), the canonical column it stands for; :func:`canonical_name` matches headers after folding
width, case, spaces and underscores. The header of a table is the first row naming at least two canonical
columns (:func:`find_header`); title rows may sit above it. :func:`canonical_frame` assembles a reader's chunk
in canonical order. :class:`UnreadableFile` is what every reader raises when a file as a whole cannot be read.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Iterator, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.errors import CarbonError
from carbon.text import fold

__all__ = [
    "CANONICAL_COLUMNS", "CATEGORICAL_COLUMNS", "HEADER_SEARCH_ROWS", "KEY_COLUMNS", "TRAILING_BRACKET",
    "VARIABLE_MAP", "UnreadableFile", "canonical_frame", "canonical_name", "cell_text", "column_positions",
    "drop_blank", "fill_enterprise", "find_header", "header_or_fail", "no_known_columns", "present",
    "source_name", "start_reader",
]


class UnreadableFile(CarbonError, ValueError):
    """The whole file cannot be read (empty, wrong encoding, not a workbook, no recognisable columns)."""


CANONICAL_COLUMNS: tuple[str, ...] = (
    "row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose", "ncv", "ncv_unit", "renewable",
    "submitted_at",
)
# A source that has none of these is not a consumption file at all.
KEY_COLUMNS: tuple[str, ...] = ("enterprise_id", "period", "carrier", "quantity", "unit")
# Few distinct values over many rows: categoricals make the later group-by steps cheap.
CATEGORICAL_COLUMNS: tuple[str, ...] = ("enterprise_id", "period", "carrier", "unit", "purpose")

VARIABLE_MAP: dict[str, str] = {
    # enterprise
    "企业编号": "enterprise_id", "企业代码": "enterprise_id", "单位代码": "enterprise_id",
    "统一社会信用代码": "enterprise_id", "企业ID": "enterprise_id", "enterprise": "enterprise_id",
    "enterprise id": "enterprise_id", "enterprise_id": "enterprise_id",
    # period
    "统计期": "period", "报告期": "period", "期间": "period", "月份": "period", "年月": "period",
    "统计月份": "period", "period": "period", "month": "period",
    # carrier
    "能源品种": "carrier", "能源名称": "carrier", "能源种类": "carrier", "品种": "carrier", "carrier": "carrier",
    "energy type": "carrier", "fuel": "carrier",
    # quantity
    "消费量": "quantity", "实物量": "quantity", "数量": "quantity", "用量": "quantity", "quantity": "quantity",
    "amount": "quantity", "consumption": "quantity",
    # unit
    "计量单位": "unit", "单位": "unit", "unit": "unit",
    # purpose
    "用途": "purpose", "purpose": "purpose", "use": "purpose",
    # measured net calorific value
    "实测低位发热量": "ncv", "低位发热量": "ncv", "ncv": "ncv",
    "发热量单位": "ncv_unit", "ncv unit": "ncv_unit", "ncv_unit": "ncv_unit",
    # flags and dates
    "可再生": "renewable", "renewable": "renewable",
    "报送日期": "submitted_at", "填报日期": "submitted_at", "submitted at": "submitted_at",
    "submitted_at": "submitted_at",
}
"""Source header → canonical column. Matching folds width, case, spaces and underscores (:func:`canonical_name`)."""

# How far down a sheet or CSV a header row may sit below title rows.
HEADER_SEARCH_ROWS = 30
# A bracketed note closing a header or a form line: 消费量（吨）, 能源合计（吨标准煤）.
TRAILING_BRACKET = re.compile(r"[(\[【〔][^()\[\]【】〔〕]*[)\]】〕]$")


# ---------------------------------------------------------------------------------------------------------------
# header names
# ---------------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _folded_map() -> dict[str, str]:
    return {fold(name): canonical for name, canonical in VARIABLE_MAP.items()}


@lru_cache(maxsize=1024)
def canonical_name(header: object) -> str | None:
    """The canonical column a source header maps to, or None.

    Parameters
    ----------
    header : str
        A column name as the source wrote it: ``"企业编号"``, ``"Enterprise ID"``, ``"消费量（吨）"``.

    Returns
    -------
    str or None
        ``"enterprise_id"``, ``"quantity"`` …; a trailing bracketed note such as ``(吨)`` is ignored when the
        name alone is not in :data:`VARIABLE_MAP`.
    """
    if header is None:
        return None
    folded = fold(header)
    found = _folded_map().get(folded)
    if found is None and TRAILING_BRACKET.search(folded):
        found = _folded_map().get(TRAILING_BRACKET.sub("", folded))
    return found


def column_positions(headers: Sequence[object]) -> dict[int, str]:
    """Position → canonical name for the recognised headers; the first of two that map to one name wins."""
    positions: dict[int, str] = {}
    for position, header in enumerate(headers):
        name = canonical_name(header)
        if name is not None and name not in positions.values():
            positions[position] = name
    return positions


def find_header(rows: Sequence[Sequence[object]]) -> int | None:
    """Index of the first row that names at least two canonical columns (title rows may sit above it)."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len(column_positions(cells)) >= 2:
            return index
    return None


def no_known_columns(source: str, headers: Sequence[object]) -> UnreadableFile:
    """The error for a table none of whose headers is a key column: what was found, what is expected."""
    found = ", ".join(repr(str(h)) for h in headers if h is not None and str(h).strip()) or "none"
    expected = "; ".join(
        f"{key}: {', '.join(name for name, canonical in VARIABLE_MAP.items() if canonical == key)}"
        for key in KEY_COLUMNS
    )
    return UnreadableFile(
        f"{source}: no recognisable columns. Headers found: {found}. Expected at least one of — {expected}")


def header_or_fail(source: str, rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]]:
    """The header row index and its recognised columns, or UnreadableFile naming what was found."""
    if not rows:
        raise no_known_columns(source, [])
    index = find_header(rows)
    if index is None:
        index = next((i for i, cells in enumerate(rows) if any(present(c) for c in cells)), 0)
    positions = column_positions(rows[index])
    if not set(positions.values()) & set(KEY_COLUMNS):
        raise no_known_columns(source, rows[index])
    return index, positions


# ---------------------------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------------------------

def present(value: object) -> bool:
    """Whether a cell holds something: not None, not NaN, not only white space."""
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value).strip() != ""


def cell_text(value: object, *, month: bool = False) -> object:
    """A cell value as text, the way a person reads it; None for an empty cell.

    Excel stores numbers and dates, not text: an integral float prints without ``.0``, other floats in their
    shortest round-trip form, and a date typed as a month (the 1st at midnight) as ``YYYY-MM`` in a period column.
    """
    if value is None:
        return None
    if isinstance(value, str):
        return value if value != "" else None
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if np.isnan(value):
            return None
        return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)
    if isinstance(value, dt.datetime):
        if month and value.day == 1 and value.time() == dt.time():
            return value.strftime("%Y-%m")
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value)


def _numeric_if_clean(values: pd.Series) -> pd.Series:
    """Numbers when every non-missing value parses as one, else the text as written."""
    numbers = pd.to_numeric(values, errors="coerce")
    if bool((numbers.notna() | values.isna()).all()):
        return numbers.astype(float)
    if values.dtype == object:  # numbers and text mixed (JSON): all as text
        return values.map(lambda v: v if v is None or isinstance(v, str) else cell_text(v)).astype("str")
    return values


def canonical_frame(columns: dict[str, Any], rows: np.ndarray,
                    attrs: Mapping[str, Any] | None = None) -> pd.DataFrame:
    """Assemble a canonical chunk: ``row`` first, canonical order, categoricals, quantity numeric if it can be."""
    frame = pd.DataFrame({"row": rows.astype(np.int64), **columns}, copy=False)
    keep = [name for name in CANONICAL_COLUMNS if name in frame]
    frame = frame[keep]
    if "quantity" in frame:
        frame["quantity"] = _numeric_if_clean(frame["quantity"])
    for name in CATEGORICAL_COLUMNS:
        if name in frame:
            frame[name] = frame[name].astype("category")
    frame = frame.reset_index(drop=True)
    if attrs:
        frame.attrs.update(attrs)
    return frame


def drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop records with nothing in any canonical column (blank lines, empty spreadsheet rows)."""
    data = frame.drop(columns="row")
    if data.empty:
        return frame.iloc[0:0]
    blank = data.isna().all(axis=1)
    return frame[~blank].reset_index(drop=True) if bool(blank.any()) else frame


def fill_enterprise(frame: pd.DataFrame, enterprise_id: str | None) -> pd.DataFrame:
    """Add ``enterprise_id`` when the source has no such column and one was given."""
    if enterprise_id is None or "enterprise_id" in frame:
        return frame
    codes = np.zeros(len(frame), dtype=np.int8)
    frame.insert(1, "enterprise_id", pd.Categorical.from_codes(codes, categories=[str(enterprise_id)]))
    return frame


def start_reader(chunks: Iterator[pd.DataFrame | None]) -> Iterator[pd.DataFrame]:
    """Run a reader's set-up now (so a bad file fails at the call) and return the chunks that follow.

    Each reader generator yields None once its set-up (open, detect encoding, find the header) is done.
    """
    first = next(chunks)
    if first is not None:  # pragma: no cover - a reader bug, not an input problem
        raise RuntimeError("reader generators must yield None after their set-up")
    return chunks  # type: ignore[return-value]


def source_name(source: object) -> str:
    """How messages name a file: its base name (uploads are saved under temporary paths)."""
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) else f"<{type(source).__name__}>"
