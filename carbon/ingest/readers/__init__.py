"""Readers that turn enterprises' energy-consumption files into the canonical frame.

Enterprises send monthly consumption as CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, JSON, or the
national statistics form 205-1 (工业企业能源购进、消费与库存). Each reader maps the source's columns onto the
canonical names through :data:`VARIABLE_MAP` and yields frames (chunks) with the values as the source wrote
them, plus the ``row`` where a person finds each record in the file. Nothing is validated here: units,
periods, numbers and duplicates are checked by :mod:`carbon.ingest.validate`, which names these rows.

The canonical columns (all optional except ``row``; a column the source lacks is absent):

======================  ===================================================================================
``row``                 where the record is: CSV line (header = line 1), Excel row, index in a JSON list,
                        Excel/CSV row of a form 205-1 energy line
``enterprise_id``       enterprise code as written
``period``              month as written (``2024-03``, ``2024/3``, ``202403``, ``2024年3月``)
``carrier``             energy carrier as written (``电力``, ``diesel`` …)
``quantity``            consumption; numeric when the whole chunk parses as numbers, else text
``unit``                unit as written (``万千瓦时``, ``t`` …)
``purpose``             ``fuel``/``feedstock`` or 燃料/原料
``ncv``, ``ncv_unit``   a measured net calorific value and its unit
``renewable``           a flag as written
``submitted_at``        submission date as written
======================  ===================================================================================

References
----------
.. [1] 国家统计局, 能源统计报表制度: 工业企业能源购进、消费与库存 (205-1表). Columns 甲 能源名称, 乙 计量单位,
   丙 代码, 1 年初库存量, 2–3 购进量 (实物量, 金额), 4 消费量合计, 5 工业生产消费, 6 其中用作原材料,
   7 非工业生产消费, 8 合计中运输工具消费, 9 期末库存量, 10 采用折标系数; one line per energy type and a
   能源合计 line in tce.
.. [2] 国家发展改革委 发改环资〔2022〕803号: feedstock energy use (原料用能) is deducted from total consumption,
   hence the separate ``feedstock`` records read from column 6 of form 205-1.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import os
import re
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import chain, islice
from pathlib import Path
from typing import IO, Any, Literal
from xml.etree.ElementTree import ParseError

import numpy as np
import pandas as pd

from carbon.errors import CarbonError
from carbon.text import fold

__all__ = [
    "CANONICAL_COLUMNS", "VARIABLE_MAP", "Format", "UnreadableFile", "canonical_name", "detect_format", "read_csv",
    "read_file", "read_form205", "read_json", "read_xlsx",
]

Format = Literal["csv", "xlsx", "json", "form205"]
PathOrBuffer = str | os.PathLike[str] | IO[bytes] | IO[str]


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
_BLOCK = 1 << 18  # bytes per read when scanning a file's encoding (256 KiB: the decoded block is transient)
_ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK and GB2312
_TRIED = "tried UTF-8 (with or without BOM) and GB18030/GBK"


# ---------------------------------------------------------------------------------------------------------------
# header names
# ---------------------------------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _folded_map() -> dict[str, str]:
    return {fold(name): canonical for name, canonical in VARIABLE_MAP.items()}


_TRAILING_BRACKET = re.compile(r"[(\[【〔][^()\[\]【】〔〕]*[)\]】〕]$")


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
    if found is None and _TRAILING_BRACKET.search(folded):
        found = _folded_map().get(_TRAILING_BRACKET.sub("", folded))
    return found


def _column_positions(headers: Sequence[object]) -> dict[int, str]:
    """Position → canonical name for the recognised headers; the first of two that map to one name wins."""
    positions: dict[int, str] = {}
    for position, header in enumerate(headers):
        name = canonical_name(header)
        if name is not None and name not in positions.values():
            positions[position] = name
    return positions


def _find_header(rows: Sequence[Sequence[object]]) -> int | None:
    """Index of the first row that names at least two canonical columns (title rows may sit above it)."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len(_column_positions(cells)) >= 2:
            return index
    return None


def _no_known_columns(source: str, headers: Sequence[object]) -> UnreadableFile:
    found = ", ".join(repr(str(h)) for h in headers if h is not None and str(h).strip()) or "none"
    expected = "; ".join(
        f"{key}: {', '.join(name for name, canonical in VARIABLE_MAP.items() if canonical == key)}"
        for key in KEY_COLUMNS
    )
    return UnreadableFile(
        f"{source}: no recognisable columns. Headers found: {found}. Expected at least one of — {expected}")


def _header_or_fail(source: str, rows: Sequence[Sequence[object]]) -> tuple[int, dict[int, str]]:
    """The header row index and its recognised columns, or UnreadableFile naming what was found."""
    if not rows:
        raise _no_known_columns(source, [])
    index = _find_header(rows)
    if index is None:
        index = next((i for i, cells in enumerate(rows) if any(_present(c) for c in cells)), 0)
    positions = _column_positions(rows[index])
    if not set(positions.values()) & set(KEY_COLUMNS):
        raise _no_known_columns(source, rows[index])
    return index, positions


# ---------------------------------------------------------------------------------------------------------------
# values
# ---------------------------------------------------------------------------------------------------------------

def _present(value: object) -> bool:
    return value is not None and not (isinstance(value, float) and np.isnan(value)) and str(value).strip() != ""


def _cell_text(value: object, *, month: bool = False) -> object:
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
        return values.map(lambda v: v if v is None or isinstance(v, str) else _cell_text(v)).astype("str")
    return values


def _finish(columns: dict[str, Any], rows: np.ndarray, attrs: Mapping[str, Any] | None = None) -> pd.DataFrame:
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


def _drop_blank(frame: pd.DataFrame) -> pd.DataFrame:
    """Drop records with nothing in any canonical column (blank lines, empty spreadsheet rows)."""
    data = frame.drop(columns="row")
    if data.empty:
        return frame.iloc[0:0]
    blank = data.isna().all(axis=1)
    return frame[~blank].reset_index(drop=True) if bool(blank.any()) else frame


def _fill_enterprise(frame: pd.DataFrame, enterprise_id: str | None) -> pd.DataFrame:
    """Add ``enterprise_id`` when the source has no such column and one was given."""
    if enterprise_id is None or "enterprise_id" in frame:
        return frame
    codes = np.zeros(len(frame), dtype=np.int8)
    frame.insert(1, "enterprise_id", pd.Categorical.from_codes(codes, categories=[str(enterprise_id)]))
    return frame


def _start(chunks: Iterator[pd.DataFrame | None]) -> Iterator[pd.DataFrame]:
    """Run a reader's set-up now (so a bad file fails at the call) and return the chunks that follow.

    Each reader generator yields None once its set-up (open, detect encoding, find the header) is done.
    """
    first = next(chunks)
    if first is not None:  # pragma: no cover - a reader bug, not an input problem
        raise RuntimeError("reader generators must yield None after their set-up")
    return chunks  # type: ignore[return-value]


def _name(source: object) -> str:
    """How messages name a file: its base name (uploads are saved under temporary paths)."""
    if isinstance(source, str | os.PathLike):
        return Path(source).name
    name = getattr(source, "name", None)
    return Path(name).name if isinstance(name, str) else f"<{type(source).__name__}>"


# ---------------------------------------------------------------------------------------------------------------
# text encoding
# ---------------------------------------------------------------------------------------------------------------

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def _blocks(stream: IO[bytes]) -> Iterator[bytes]:
    while block := stream.read(_BLOCK):
        yield block


def _decodes(blocks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in blocks:
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def _detect_encoding(stream: IO[bytes], source: str) -> str:
    """The encoding of a byte stream, checked over the whole stream block by block (never held whole).

    Returns ``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"``; the stream is left at its starting position.
    """
    start = stream.tell()
    head = stream.read(_BLOCK)
    if not head:
        raise UnreadableFile(f"{source} is empty (0 bytes); export the data again")
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise UnreadableFile(f"{source} is {name} text; {_TRIED}. Save it as 'CSV UTF-8' and upload it again")
    if head.startswith(b"PK\x03\x04"):
        raise UnreadableFile(f"{source} is a ZIP archive (an XLSX workbook?), not CSV text; upload it as .xlsx")
    try:
        for encoding in _ENCODINGS:
            stream.seek(start)
            if _decodes(_nul_checked(_blocks(stream), source), encoding):
                if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                    return "utf-8-sig"
                return encoding
    finally:
        stream.seek(start)
    raise UnreadableFile(f"{source} is neither UTF-8 nor GB18030/GBK text ({_TRIED}); "
                         "save it as 'CSV UTF-8' and upload it again")


def _nul_checked(blocks: Iterable[bytes], source: str) -> Iterator[bytes]:
    # Text CSV never holds NUL bytes; UTF-16 without a BOM and binary files do, and would otherwise decode.
    for block in blocks:
        if b"\x00" in block:
            raise UnreadableFile(f"{source} holds NUL bytes: it is binary or UTF-16 text, not CSV ({_TRIED}); "
                                 "save it as 'CSV UTF-8' and upload it again")
        yield block


def _head_lines(stream: IO[bytes], encoding: str, limit: int = HEADER_SEARCH_ROWS) -> list[list[str]]:
    """The first ``limit`` complete lines of a byte stream, split into CSV cells; the stream is rewound."""
    start = stream.tell()
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    text, complete = "", False
    try:
        while not complete and text.count("\n") <= limit:  # read only what the header search needs
            data = stream.read(1 << 14)
            complete = not data
            text += decoder.decode(data, final=complete)
    finally:
        stream.seek(start)
    lines = text.splitlines()
    if not complete and lines:
        lines = lines[:-1]  # the last line may be cut by the block boundary
    return [cells for cells in csv.reader(lines[:limit])]


def _binary(source: PathOrBuffer) -> tuple[IO[bytes], bool]:
    """A seekable binary stream over a path or buffer, and whether the caller must close it."""
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    if not source.seekable():  # an upload stream: spool it so it can be scanned, then parsed
        import tempfile

        spool = tempfile.SpooledTemporaryFile(max_size=8 * _BLOCK)  # noqa: SIM115 - closed by the caller
        for block in _blocks(source):  # type: ignore[arg-type]
            spool.write(block)
        spool.seek(0)
        return spool, True  # type: ignore[return-value]
    return source, False  # type: ignore[return-value]


# ---------------------------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------------------------

def read_csv(path_or_buffer: PathOrBuffer, *, chunksize: int = 100_000,
             encoding: str | None = None) -> Iterator[pd.DataFrame]:
    """Read a consumption CSV in chunks onto the canonical columns.

    The encoding is found before parsing by decoding the bytes block by block (UTF-8 with or without BOM,
    then GB18030, a superset of GBK), so a file of a million rows is never held whole. The header may sit
    below a few title lines. Blank lines are skipped but counted, so ``row`` stays the line a person sees.

    Parameters
    ----------
    path_or_buffer : path, binary buffer or text buffer
        The CSV file. A text buffer is read as it is (no encoding detection).
    chunksize : int
        Records per chunk.
    encoding : str, optional
        Skip detection and decode with this encoding.

    Returns
    -------
    iterator of DataFrame
        Canonical chunks; ``row`` is the line number in the file (header = line 1 when it is the first line).
        Key columns are categorical text; ``quantity`` is float when the whole chunk parses, else text.

    Raises
    ------
    UnreadableFile
        Empty file, an encoding that is neither UTF-8 nor GB18030, or no recognisable column; the message
        says which headers were found and which are expected. Raised by the call, before any chunk.

    Notes
    -----
    Line numbers assume one record per line: a quoted value that spans lines shifts the numbers after it.
    Fields beyond the header's width are ignored; missing trailing fields are empty.
    """
    return _start(_csv_chunks(path_or_buffer, chunksize=chunksize, encoding=encoding))


def _csv_chunks(source: PathOrBuffer, *, chunksize: int, encoding: str | None) -> Iterator[pd.DataFrame | None]:
    name = _name(source)
    if isinstance(source, io.TextIOBase):
        stream: Any = source
        owned = False
        start = source.tell()
        head = [cells for cells in csv.reader(islice(source, HEADER_SEARCH_ROWS))]
        source.seek(start)
        if not head:
            raise UnreadableFile(f"{name} is empty; export the data again")
    else:
        stream, owned = _binary(source)
    try:
        if not isinstance(stream, io.TextIOBase):
            if encoding is None:
                encoding = _detect_encoding(stream, name)
            elif not stream.read(1):
                raise UnreadableFile(f"{name} is empty (0 bytes); export the data again")
            else:
                stream.seek(stream.tell() - 1)
            head = _head_lines(stream, encoding)
        header_index, positions = _header_or_fail(name, head)
        yield None

        order = sorted(positions)
        names = [positions[p] for p in order]
        first_line = header_index + 2  # 1-based line of the first record
        reader = pd.read_csv(
            stream, encoding=encoding, header=0, skiprows=header_index, usecols=order, dtype=str,
            keep_default_na=False, na_values=[""], skip_blank_lines=False, chunksize=chunksize,
        )
        with reader:
            try:
                for chunk in reader:
                    chunk.columns = names
                    rows = chunk.index.to_numpy() + first_line
                    frame = _drop_blank(_finish({n: chunk[n] for n in names}, rows))
                    if len(frame):
                        yield frame
            except (UnicodeDecodeError, pd.errors.ParserError) as error:
                raise UnreadableFile(f"{name} could not be parsed as CSV: {error}") from error
    finally:
        if owned:
            stream.close()


# ---------------------------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------------------------

# What a damaged workbook raises from zipfile, zlib, the XML parser or openpyxl's cell parsing.
_WORKBOOK_ERRORS: tuple[type[BaseException], ...] = (
    zipfile.BadZipFile, zlib.error, ParseError, EOFError, KeyError, ValueError, TypeError, IndexError,
)


@contextmanager
def _workbook_errors(source: str) -> Iterator[None]:
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
def _workbook(path: str | os.PathLike[str]) -> Iterator[Any]:
    """A workbook opened read-only (streaming), closed with its file on exit.

    openpyxl is handed the open file, not the name: a workbook saved under a ``.csv`` name still opens.
    """
    import openpyxl

    with open(path, "rb") as handle:
        with _workbook_errors(_name(path)):
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        try:
            yield workbook
        finally:
            workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[tuple[Any, ...]]:
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
    return _start(_xlsx_chunks(path, sheet=sheet, chunksize=chunksize))


def _xlsx_chunks(path: str | os.PathLike[str], *, sheet: str | None,
                 chunksize: int) -> Iterator[pd.DataFrame | None]:
    name = _name(path)
    with _workbook(path) as workbook:
        with _workbook_errors(name):
            rows, header_index, positions = _xlsx_header(workbook, name, sheet)
        yield None

        order = sorted(positions)
        names = [positions[p] for p in order]
        month = [n == "period" for n in names]
        excel_row = header_index + 2
        with _workbook_errors(name):
            while True:
                block = list(islice(rows, chunksize))
                if not block:
                    break
                # openpyxl hands over rows one by one; pick the mapped cells per row, then build columns at once.
                picked = [tuple(cells[p] if p < len(cells) else None for p in order) for cells in block]
                columns = {
                    n: pd.Series([_cell_text(v, month=m) for v in values], dtype="str")
                    for n, m, values in zip(names, month, zip(*picked, strict=True), strict=True)
                }
                numbers = np.arange(excel_row, excel_row + len(block))
                excel_row += len(block)
                frame = _drop_blank(_finish(columns, numbers))
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
        rows = _sheet_rows(workbook[title])
        head = list(islice(rows, HEADER_SEARCH_ROWS))
        first = first or (rows, head)
        index = _find_header(head)
        if index is not None:
            return chain(head[index + 1:], rows), index, _column_positions(head[index])
    rows, head = first  # type: ignore[misc]
    index, positions = _header_or_fail(name if sheet is None else f"{name} (sheet {sheet!r})", head)
    return chain(head[index + 1:], rows), index, positions


# ---------------------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------------------

def _decode_text(data: bytes, source: str) -> str:
    if not data.strip():
        raise UnreadableFile(f"{source} is empty; send a list of records or an object with 'records'")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{source} is neither UTF-8 nor GB18030/GBK text ({_TRIED})")


def _load_json(source: Any) -> tuple[Any, str]:
    """A JSON document from a path, bytes, a buffer, or an already parsed object."""
    if isinstance(source, list | dict):
        return source, "JSON body"
    if isinstance(source, str | os.PathLike):
        name = _name(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes | bytearray):
        name, data = "JSON body", bytes(source)
    elif hasattr(source, "read"):
        name = _name(source)
        raw = source.read()
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    else:
        raise TypeError(f"read_json takes a path, bytes, a file or a parsed list/dict, not {type(source).__name__}")
    text = _decode_text(data, name)
    try:
        return json.loads(text), name
    except json.JSONDecodeError as error:
        raise UnreadableFile(f"{name} is not valid JSON: {error.msg} at line {error.lineno}, "
                             f"column {error.colno}") from error


def read_json(path_or_obj: Any, *, enterprise_id: str | None = None,
              chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
    """Read consumption records from JSON onto the canonical columns.

    Parameters
    ----------
    path_or_obj : path, bytes, file, list or dict
        A list of records, or an object ``{"enterprise_id": ..., "records": [...]}`` (``data`` or ``items``
        are accepted for ``records``) whose enterprise fills the records that lack one. Record keys are matched
        through :data:`VARIABLE_MAP`; other keys are dropped.
    enterprise_id : str, optional
        Fills the records that have no enterprise of their own and no object-level one.
    chunksize : int
        Records per chunk.

    Returns
    -------
    iterator of DataFrame
        Canonical chunks; ``row`` is the 0-based index of the record in the list. A record that is not an
        object is kept with only its ``row`` so that the validator reports it.

    Raises
    ------
    UnreadableFile
        Invalid JSON, a body that is neither a list nor an object with ``records``, or records with no
        recognisable key.
    """
    document, name = _load_json(path_or_obj)
    return _parse_json(document, enterprise_id=enterprise_id, chunksize=chunksize, source=name)


def _parse_json(document: Any, *, enterprise_id: str | None = None, chunksize: int = 100_000,
                source: str = "JSON body") -> Iterator[pd.DataFrame]:
    """The canonical chunks of a parsed JSON document (shared by :func:`read_json` and ``get_json``)."""
    fill = enterprise_id
    if isinstance(document, dict):
        records_key = next((k for k in document if fold(k) in {"records", "data", "items"}), None)
        if records_key is None or not isinstance(document[records_key], list):
            keys = ", ".join(map(repr, document)) or "none"
            raise UnreadableFile(f"{source}: expected a list of records or an object with a 'records' list; "
                                 f"found an object with keys {keys}")
        outer = next((v for k, v in document.items() if canonical_name(k) == "enterprise_id"), None)
        fill = outer if _present(outer) else enterprise_id
        records = document[records_key]
    elif isinstance(document, list):
        records = document
    else:
        raise UnreadableFile(f"{source}: expected a list of records or an object with a 'records' list; "
                             f"found {type(document).__name__}")
    if records and not any(isinstance(r, dict) and any(canonical_name(k) in KEY_COLUMNS for k in r)
                           for r in records):
        keys = sorted({str(k) for r in records[:100] if isinstance(r, dict) for k in r})
        raise _no_known_columns(source, keys)
    return _json_chunks(records, fill=fill, chunksize=chunksize)


def _json_chunks(records: list[Any], *, fill: object, chunksize: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(records), chunksize):
        block = records[start:start + chunksize]
        mapped = [_map_record(r) for r in block]
        frame = pd.DataFrame.from_records(mapped, columns=[c for c in CANONICAL_COLUMNS if c != "row"])
        frame = frame.dropna(axis=1, how="all")
        if fill is not None:
            frame["enterprise_id"] = (frame["enterprise_id"].where(frame["enterprise_id"].map(_present), fill)
                                      if "enterprise_id" in frame else fill)
        columns = {n: _json_column(n, frame[n]) for n in frame.columns}
        yield _finish(columns, np.arange(start, start + len(block)))


def _map_record(record: object) -> dict[str, object]:
    if not isinstance(record, dict):
        return {}
    mapped: dict[str, object] = {}
    for key, value in record.items():
        name = canonical_name(key)
        if name is not None and name not in mapped and value is not None:
            mapped[name] = value
    return mapped


def _json_column(name: str, values: pd.Series) -> pd.Series:
    """JSON values as they came; the text columns as text (an enterprise id sent as 1001 becomes "1001")."""
    if name in ("ncv", "renewable"):
        return values
    if name == "quantity":  # JSON true/false is no number: keep it as text for the validator to reject
        return values.map(lambda v: _cell_text(v) if isinstance(v, bool) else v)
    return values.map(lambda v: v if v is None or isinstance(v, str) else _json_text(v)).astype("str")


def _json_text(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return _cell_text(value)


# ---------------------------------------------------------------------------------------------------------------
# statistics form 205-1
# ---------------------------------------------------------------------------------------------------------------

_FORM_TITLE = "能源购进消费与库存"  # 工业企业能源购进、消费与库存, punctuation removed
_CODE_LABELS = ("统一社会信用代码", "组织机构代码", "单位代码")  # in order of preference
_NAME_LABELS = ("单位详细名称", "单位名称", "企业名称")
_PERIOD_EXCLUDED = ("有效期", "日期", "文号", "国统字", "批准", "制定")
_TOTAL_LINES = ("能源合计", "合计", "总计", "综合能源消费量", "能源消费总量")
_EMPTY_MARKS = {"—", "-", "－", "–", "/", "／", "——", "--"}  # how forms mark "none"
_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
_MONTH_RANGE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月?\s*[-－—–~～至到]\s*(\d{1,2})\s*月")
_MULTI_MONTH = ("季度", "半年", "全年", "年度", "累计")
_YEAR = re.compile(r"\d{4}\s*年")


def _squash(text: object) -> str:
    """Fold and drop punctuation: '工业企业能源购进、消费与库存' → '工业企业能源购进消费与库存'."""
    return re.sub(r"[\W_]+", "", fold(text))


def _is_label(text: str) -> bool:
    return any(mark in text for mark in ("：", ":")) or any(
        label in text for label in (*_CODE_LABELS, *_NAME_LABELS, "报告期"))


def _labelled_value(rows: Sequence[Sequence[object]], labels: Sequence[str]) -> str | None:
    """The value written after the first of ``labels`` in the title rows.

    The value may follow a colon in the label's cell (``统一社会信用代码：9144…``), or fill the next cells of
    its row — one character a cell where the form prints boxes for the code.
    """
    for label in labels:
        for cells in rows:
            texts = [str(c).strip() if _present(c) else "" for c in cells]
            for position, text in enumerate(texts):
                if label not in fold(text):
                    continue
                after = re.split(r"[:：]", text, maxsplit=1)
                inline = after[1] if len(after) == 2 else ""
                inline = inline.replace("□", "").strip()
                if inline:
                    return inline
                parts: list[str] = []
                for following in texts[position + 1:]:
                    if following and _is_label(following):
                        break
                    parts.append(following.replace("□", ""))
                value = "".join(parts).strip()
                if value:
                    return value
    return None


def _form_period(rows: Sequence[Sequence[object]], source: str) -> str:
    """The report month of the title rows, as written; UnreadableFile for a multi-month or missing period."""
    def excluded(text: str) -> bool:
        return any(mark in text for mark in _PERIOD_EXCLUDED)

    candidates: list[str] = []
    for cells in rows:
        previous = ""
        for text in (str(c).strip() for c in cells if _present(c)):
            # "有效期至：2026年2月" in one cell, or a label cell "有效期至：" and the date in the next one
            labelled = excluded(previous) and previous.endswith(("：", ":"))
            if _YEAR.search(text) and not excluded(text) and not labelled:
                candidates.append(text)
            previous = text
    candidates.sort(key=lambda t: "报告期" not in t)  # a labelled period first
    for text in candidates:
        span = _MONTH_RANGE.search(text)
        if (span and int(span.group(2)) != int(span.group(3))) or any(mark in text for mark in _MULTI_MONTH):
            raise UnreadableFile(
                f"{source}: report period {text!r} spans several months; only the monthly form 205-1 can be read. "
                "Upload the form of each month (报告期 such as 2024年3月)")
        month = _MONTH.search(text)
        if span:
            return span.group(0)
        if month:
            return month.group(0)
    raise UnreadableFile(f"{source}: no report month (报告期, e.g. 2024年3月) found in the title rows of form 205-1")


def _form_header(rows: Sequence[Sequence[object]]) -> tuple[int, int] | None:
    """Start and end (exclusive) of the form's header rows: the row naming 能源名称 and 消费量, plus the
    sub-header rows under it (their name cell is empty, as the name column is merged down)."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [_squash(c) for c in cells if _present(c)]
        if any("能源名称" in t or t == "能源品种" for t in texts) and any("消费" in t for t in texts):
            name_at = next(i for i, c in enumerate(cells) if _present(c) and (
                "能源名称" in _squash(c) or _squash(c) == "能源品种"))
            end = index + 1
            while end < len(rows):
                below = rows[end]
                name = below[name_at] if name_at < len(below) else None
                if _present(name) or not any(_present(c) for c in below):
                    break
                end += 1
            return index, end
    return None


def _column_texts(header: Sequence[Sequence[object]]) -> list[str]:
    """One folded text per column from stacked header rows; a merged group label is spread over its columns."""
    width = max((len(r) for r in header), default=0)
    grid = [[_squash(r[i]) if i < len(r) and _present(r[i]) else "" for i in range(width)] for r in header]
    for level in range(len(grid) - 1):
        current = ""
        for column in range(width):
            if grid[level][column]:
                current = grid[level][column]
            elif current and any(grid[lower][column] for lower in range(level + 1, len(grid))):
                grid[level][column] = current  # under a merged cell: the label of its group
            else:
                current = ""
    return ["".join(grid[level][column] for level in range(len(grid))) for column in range(width)]


def _form_columns(texts: Sequence[str]) -> dict[str, int]:
    """Positions of the columns the reader needs, found by keywords of the 205-1 header."""
    found: dict[str, int] = {}
    parts = ("原材料", "原料", "运输", "非工业", "工业生产")
    for position, text in enumerate(texts):
        if "name" not in found and ("能源名称" in text or text in {"能源品种", "品种", "名称"}):
            found["name"] = position
        elif "unit" not in found and ("计量单位" in text or text == "单位"):
            found["unit"] = position
        elif "total" not in found and "消费" in text and not any(p in text for p in parts) and (
                "合计" in text or text.endswith("消费量")):
            found["total"] = position
        elif "raw" not in found and ("原材料" in text or "原料" in text):
            found["raw"] = position
    return found


def _number(value: object) -> Decimal | None:
    """A form cell as an exact decimal, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(repr(value)) if np.isfinite(value) else None
    text = str(value).strip()
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")  # thousands separators, as Excel displays large numbers
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _is_total_line(name: str) -> bool:
    folded = _squash(_TRAILING_BRACKET.sub("", fold(name)))
    return folded in _TOTAL_LINES or folded.endswith(("合计", "总计"))


def _form_records(rows: Sequence[Sequence[object]], numbers: Sequence[int], columns: Mapping[str, int],
                  ) -> tuple[list[int], list[object], list[object], list[object], list[str]]:
    """Energy lines → (row, carrier, unit, quantity, purpose), two records where part was used as raw material."""
    out_rows: list[int] = []
    carriers: list[object] = []
    units: list[object] = []
    quantities: list[object] = []
    purposes: list[str] = []

    def cell(cells: Sequence[object], key: str) -> object:
        position = columns.get(key)
        if position is None or position >= len(cells):
            return None
        value = cells[position]
        if isinstance(value, str):
            value = value.strip()
            return None if value == "" or value in _EMPTY_MARKS else value
        return value

    def emit(number: int, name: object, unit: object, quantity: object, purpose: str) -> None:
        out_rows.append(number)
        carriers.append(_cell_text(name))
        units.append(_cell_text(unit))
        quantities.append(quantity)
        purposes.append(purpose)

    for number, cells in zip(numbers, rows, strict=True):
        name = cell(cells, "name")
        if not _present(name) or str(name).strip() == "甲":  # blank line, or the column-number row 甲 乙 丙 1 2 …
            continue
        name = str(name).strip()
        if _squash(name).startswith("其中") or _is_total_line(name):  # parts of the line above, and totals
            continue
        if any(mark in name for mark in ("：", ":")):  # 单位负责人：… 填表人：… or 说明： — the footer
            break
        unit, total, raw = cell(cells, "unit"), cell(cells, "total"), cell(cells, "raw")
        if total is None and raw is None:
            continue  # an energy type printed on the form but not consumed, or a footer line
        total_n = _number(total)
        raw_n = _number(raw) if raw is not None else Decimal(0)
        if total_n is not None and raw_n is not None:
            emit(number, name, unit, float(total_n - raw_n), "fuel")
            if raw_n > 0:
                emit(number, name, unit, float(raw_n), "feedstock")
            continue
        # Not both numbers: hand over what was written, so the validator rejects it with this row.
        emit(number, name, unit, _cell_text(total), "fuel")
        if raw_n is None or raw_n > 0:
            emit(number, name, unit, _cell_text(raw), "feedstock")
    return out_rows, carriers, units, quantities, purposes


def _parse_form205(rows: Sequence[Sequence[object]], numbers: Sequence[int], *, source: str,
                   enterprise_id: str | None) -> pd.DataFrame:
    """The canonical frame of a form 205-1 given as a grid of cells and their row numbers."""
    bounds = _form_header(rows)
    if bounds is None:
        raise UnreadableFile(f"{source}: no form 205-1 header row (能源名称 … 消费量) in the first "
                             f"{HEADER_SEARCH_ROWS} rows")
    start, end = bounds
    texts = _column_texts(rows[start:end])
    columns = _form_columns(texts)
    missing = [label for key, label in (("name", "能源名称"), ("unit", "计量单位"), ("total", "消费量合计"))
               if key not in columns]
    if missing:
        found = ", ".join(t for t in texts if t) or "none"
        raise UnreadableFile(f"{source}: form 205-1 columns not found: {', '.join(missing)} (header: {found})")
    title = rows[:start]
    period = _form_period(title, source)
    code = _labelled_value(title, _CODE_LABELS)
    enterprise_name = _labelled_value(title, _NAME_LABELS)

    out_rows, carriers, units, quantities, purposes = _form_records(rows[end:], numbers[end:], columns)
    n = len(out_rows)
    frame_columns: dict[str, Any] = {
        "period": pd.Series([period] * n, dtype="str"),
        "carrier": pd.Series(carriers, dtype="str"),
        "quantity": pd.Series(quantities, dtype="object").map(
            lambda v: v if v is None or isinstance(v, str) else _cell_text(v)).astype("str"),
        "unit": pd.Series(units, dtype="str"),
        "purpose": pd.Series(purposes, dtype="str"),
    }
    owner = enterprise_id if enterprise_id is not None else code
    if owner is not None:
        frame_columns["enterprise_id"] = pd.Series([owner] * n, dtype="str")
    attrs = {"source_format": "form205", "period": period, "enterprise_code": code,
             "enterprise_name": enterprise_name}
    return _finish(frame_columns, np.asarray(out_rows, dtype=np.int64), attrs)


def _csv_grid(path: str | os.PathLike[str]) -> tuple[list[list[str]], list[int]]:
    """All cells of a (small) CSV file and the line number each record starts on."""
    name = _name(path)
    with open(path, "rb") as stream:
        encoding = _detect_encoding(stream, name)
    with open(path, encoding=encoding, newline="") as text:
        reader = csv.reader(text)
        rows: list[list[str]] = []
        numbers: list[int] = []
        line = 0
        for cells in reader:
            rows.append(cells)
            numbers.append(line + 1)
            line = reader.line_num
    return rows, numbers


def _xlsx_grid(path: str | os.PathLike[str], sheet: str | None) -> tuple[list[tuple[Any, ...]], list[int]]:
    name = _name(path)
    with _workbook(path) as workbook:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise UnreadableFile(f"{name} has no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
        titles = [sheet] if sheet is not None else workbook.sheetnames
        with _workbook_errors(name):
            for title in titles:
                rows = list(_sheet_rows(workbook[title]))
                if sheet is not None or _form_header(rows) is not None:
                    return rows, list(range(1, len(rows) + 1))
    raise UnreadableFile(f"{name}: no form 205-1 header row (能源名称 … 消费量) in the first "
                         f"{HEADER_SEARCH_ROWS} rows of any sheet")


def _is_zip(path: str | os.PathLike[str]) -> bool:
    with open(path, "rb") as stream:
        return stream.read(4) == b"PK\x03\x04"


def read_form205(path: str | os.PathLike[str], *, enterprise_id: str | None = None,
                 sheet: str | None = None) -> Iterator[pd.DataFrame]:
    """Read the statistics form 205-1 (工业企业能源购进、消费与库存), as XLSX or CSV, onto the canonical columns.

    The title rows give the enterprise (统一社会信用代码, else 组织机构代码 or 单位代码) and the report month
    (报告期); the table below has one line per energy type. Each line yields a ``fuel`` record of
    total consumption minus the part used as raw material, and, when that part is above zero, a
    ``feedstock`` record of it. The subtraction is exact (decimal) and made only when both cells are numbers;
    otherwise the cells are handed over as written so the validator rejects the line with its row.

    Parameters
    ----------
    path : path
        The form as ``.xlsx`` or ``.csv``.
    enterprise_id : str, optional
        Used as ``enterprise_id`` instead of the code in the title rows (which stays in
        ``frame.attrs["enterprise_code"]``).
    sheet : str, optional
        Sheet of a workbook; by default the first that holds the form.

    Returns
    -------
    iterator of DataFrame
        One frame: ``row`` (Excel or CSV row of the energy line), ``enterprise_id``, ``period`` (as written,
        e.g. ``2024年3月``), ``carrier``, ``quantity`` [the line's unit], ``unit``, ``purpose``. Total lines
        (能源合计, 合计 …), ``其中`` sub-lines, blank lines and energy types with no consumption are skipped.
        ``frame.attrs`` holds ``period``, ``enterprise_code`` and ``enterprise_name`` from the title rows.

    Raises
    ------
    UnreadableFile
        A multi-month form (``2024年1-3月``), no report month, no form header, or a file that is not a
        complete workbook / readable text.

    References
    ----------
    .. [1] 国家统计局 能源统计报表制度, 205-1表 工业企业能源购进、消费与库存 (columns 4 消费量合计 and
       6 其中用作原材料).
    .. [2] 发改环资〔2022〕803号 (feedstock energy use deducted from total consumption).
    """
    name = _name(path)
    rows, numbers = _xlsx_grid(path, sheet) if _is_zip(path) else _csv_grid(path)
    return iter([_parse_form205(rows, numbers, source=name, enterprise_id=enterprise_id)])


# ---------------------------------------------------------------------------------------------------------------
# format detection and dispatch
# ---------------------------------------------------------------------------------------------------------------

_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                                  ".json": "json"}


def _looks_like_form(rows: Sequence[Sequence[object]]) -> bool:
    """The 205-1 layout: its title, or a 能源名称 … 消费量 header with sub-columns below it."""
    if any(_FORM_TITLE in _squash(c) for cells in rows[:HEADER_SEARCH_ROWS] for c in cells if _present(c)):
        return True
    bounds = _form_header(rows)
    return bounds is not None and bounds[1] - bounds[0] > 1


def detect_format(path: str | os.PathLike[str]) -> Format:
    """The format of a consumption file: ``"csv"``, ``"xlsx"``, ``"json"`` or ``"form205"``.

    The extension decides between text, workbook and JSON; for CSV and XLSX the content decides whether the
    file is the statistics form 205-1 (its title 工业企业能源购进、消费与库存, or a header row naming 能源名称
    and 消费量 with sub-columns under it). A workbook saved with a ``.csv`` name, or CSV text saved as ``.xlsx``,
    is recognised by its first bytes.

    Raises
    ------
    UnreadableFile
        For another extension (``.xls`` included: save it as ``.xlsx``), or a workbook that cannot be opened.
    """
    name = _name(path)
    suffix = Path(name).suffix.casefold()
    if suffix == ".xls":
        raise UnreadableFile(f"{name} is an Excel 97-2003 workbook (.xls); save it as .xlsx and upload it again")
    kind = _EXTENSIONS.get(suffix)
    if kind is None:
        raise UnreadableFile(f"{name}: unsupported file type {suffix or '(no extension)'}; "
                             "send .csv, .xlsx, .json or the form 205-1 as .xlsx/.csv")
    if kind == "json":
        return "json"
    if _is_zip(path):
        with _workbook(path) as workbook, _workbook_errors(name):
            head = list(islice(_sheet_rows(workbook[workbook.sheetnames[0]]), HEADER_SEARCH_ROWS))
        return "form205" if _looks_like_form(head) else "xlsx"
    with open(path, "rb") as stream:
        head_bytes = stream.read(64 * 1024)
    for encoding in _ENCODINGS:
        text = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            decoded = text.decode(head_bytes, final=False)
        except UnicodeDecodeError:
            continue
        rows = list(csv.reader(decoded.splitlines()[:HEADER_SEARCH_ROWS]))
        return "form205" if _looks_like_form(rows) else "csv"
    return "csv"  # read_csv names the encoding problem


def read_file(path: str | os.PathLike[str], *, format: Format | Literal["auto"] = "auto",
              enterprise_id: str | None = None, chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
    """Read any supported consumption file onto the canonical columns.

    Parameters
    ----------
    path : path
        CSV, XLSX, JSON or form 205-1 file.
    format : {"auto", "csv", "xlsx", "json", "form205"}
        ``"auto"`` asks :func:`detect_format`.
    enterprise_id : str, optional
        Fills ``enterprise_id`` when the source has no enterprise column (for JSON: records without one;
        for form 205-1: replaces the code of the title rows).
    chunksize : int
        Records per chunk.

    Returns
    -------
    iterator of DataFrame
        Canonical chunks (see the module documentation).

    Raises
    ------
    UnreadableFile
        When the file as a whole cannot be read; the message says why and what to do.
    """
    kind = detect_format(path) if format == "auto" else format
    if kind == "csv":
        chunks = read_csv(path, chunksize=chunksize)
    elif kind == "xlsx":
        chunks = read_xlsx(path, chunksize=chunksize)
    elif kind == "json":
        return read_json(path, enterprise_id=enterprise_id, chunksize=chunksize)
    elif kind == "form205":
        return read_form205(path, enterprise_id=enterprise_id)
    else:
        raise ValueError(f"format must be auto, csv, xlsx, json or form205, not {format!r}")
    return (_fill_enterprise(chunk, enterprise_id) for chunk in chunks)
