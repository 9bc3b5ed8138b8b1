"""Consumption workbooks (``.xlsx``), streamed by openpyxl in read-only mode.

openpyxl is imported on first use: importing the readers stays cheap for callers that never see a workbook.
"""

from __future__ import annotations

import os
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import chain, islice
from typing import Any
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from carbon.ingest.readers.columns import (
    HEADER_SEARCH_ROWS,
    UnreadableFile,
    canonical_frame,
    cell_text,
    column_positions,
    drop_blank,
    find_header,
    header_or_fail,
    source_name,
    start_reader,
)

__all__ = ["is_zip", "open_workbook", "read_xlsx", "sheet_rows", "workbook_errors"]

# What a damaged workbook raises from zipfile, zlib, the XML parser or openpyxl's cell parsing.
_WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, ParseError, EOFError, KeyError, ValueError, TypeError, IndexError,
)


def is_zip(path: str | os.PathLike[str]) -> bool:
    """Whether a file starts as a ZIP archive does (an XLSX workbook, whatever its name)."""
    with open(path, "rb") as stream:
        return stream.read(4) == b"PK\x03\x04"


@contextmanager
def workbook_errors(source: str) -> Iterator[None]:
    """Turn what a damaged workbook raises into UnreadableFile with what to do (ours pass through)."""
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        yield
    except UnreadableFile:
        raise
    except (*_WORKBOOK_ERRORS, InvalidFileException) as error:
        raise UnreadableFile(
            f"{source}: the file is not a complete XLSX workbook ({type(error).__name__}: {error}); "
            "re-export it from Excel (Save As › Excel Workbook .xlsx) and upload it again") from error


@contextmanager
def open_workbook(path: str | os.PathLike[str]) -> Iterator[Any]:
    """A workbook opened read-only (streaming), closed with its file on exit.

    openpyxl is handed the open file, not the name: a workbook saved under a ``.csv`` name still opens.
    """
    import openpyxl

    with open(path, "rb") as handle:
        with workbook_errors(source_name(path)):
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


def sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
    """Every row of a sheet as a tuple of cell values."""
    # A sheet's stored dimension may be wrong (some exporters write A1 only): read every cell that is there.
    sheet.reset_dimensions()
    return sheet.iter_rows(values_only=True)


def read_xlsx(path: str | os.PathLike[str], *, sheet: str | None = None,
              chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
    """Read a consumption workbook in chunks onto the canonical columns.

    openpyxl in read-only mode streams the rows; the header is the first row that names at least two
    canonical columns (title rows may sit above it), on the given sheet or the first sheet that has one.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file.
    sheet : str, optional
        Sheet name; by default the first sheet with a recognisable header row.
    chunksize : int
        Records per chunk.

    Returns
    -------
    iterator of DataFrame
        Canonical chunks; ``row`` is the Excel row number. Cell values are text as Excel shows them
        (an integral number without ``.0``; a month typed into the period column as ``YYYY-MM``), and
        ``quantity`` is float when the whole chunk parses.

    Raises
    ------
    UnreadableFile
        A truncated or corrupt workbook ("not a complete XLSX workbook; re-export it"), a missing sheet, or
        no sheet with recognisable columns.
    """
    return start_reader(_parse_xlsx(path, sheet=sheet, chunksize=chunksize))


def _parse_xlsx(path: str | os.PathLike[str], *, sheet: str | None,
                chunksize: int) -> Iterator[pd.DataFrame | None]:
    name = source_name(path)
    with open_workbook(path) as workbook:
        with workbook_errors(name):
            rows, header_index, positions = _xlsx_header(workbook, name, sheet)
        yield None

        order = sorted(positions)
        names = [positions[p] for p in order]
        month = [n == "period" for n in names]
        excel_row = header_index + 2
        with workbook_errors(name):
            while True:
                block = list(islice(rows, chunksize))
                if not block:
                    break
                # openpyxl hands over rows one by one; pick the mapped cells per row, then build columns at once.
                picked = [tuple(cells[p] if p < len(cells) else None for p in order) for cells in block]
                columns = {
                    n: pd.Series([cell_text(v, month=m) for v in values], dtype="str")
                    for n, m, values in zip(names, month, zip(*picked, strict=True), strict=True)
                }
                numbers = np.arange(excel_row, excel_row + len(block))
                excel_row += len(block)
                frame = drop_blank(canonical_frame(columns, numbers))
                if len(frame):
                    yield frame


def _xlsx_header(workbook: Any, name: str,
                 sheet: str | None) -> tuple[Iterator[tuple[Any, ...]], int, dict[int, str]]:
    """The rows after the header of the chosen sheet, the header's 0-based row index and its columns.

    The first sheet with a row naming two canonical columns wins; failing that, the first sheet's first
    non-empty row is the header if it names one key column.
    """
    if sheet is not None and sheet not in workbook.sheetnames:
        raise UnreadableFile(f"{name} has no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
    titles = [sheet] if sheet is not None else workbook.sheetnames
    first: tuple[Iterator[tuple[Any, ...]], list[tuple[Any, ...]]] | None = None
    for title in titles:
        rows = sheet_rows(workbook[title])
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        first = first or (rows, head)
        index = find_header(head)
        if index is not None:
            return chain(head[index + 1:], rows), index, column_positions(head[index])
    rows, head = first  # type: ignore[misc]
    index, positions = header_or_fail(name if sheet is None else f"{name} (sheet {sheet!r})", head)
    return chain(head[index + 1:], rows), index, positions
