"""Readers that turn enterprises' energy-consumption files into the canonical frame.

Enterprises send monthly consumption as CSV (UTF-8, UTF-8 with BOM, GBK/GB18030), XLSX, JSON, or the
national statistics form 205-1 (工业企业能源购进、消费与库存). Each reader maps the source's columns onto the
canonical names through :data:`VARIABLE_MAP` and yields frames (chunks) with the values as the source wrote
them, plus the ``row`` where a person finds each record in the file. Nothing is validated here: units,
periods, numbers and duplicates are checked by :mod:`carbon.ingest.validate`, which names these rows.

One module per format, each a ``read_*`` (file) or ``get_*`` (network) over one ``_parse_*``/``parse_*``:
:mod:`~carbon.ingest.readers.csvfile`, :mod:`~carbon.ingest.readers.xlsx`,
:mod:`~carbon.ingest.readers.jsonfile`, :mod:`~carbon.ingest.readers.form205` and
:mod:`~carbon.ingest.readers.http`; the canonical columns, :data:`VARIABLE_MAP` and the shared cell helpers in
:mod:`~carbon.ingest.readers.columns`, text encodings in :mod:`~carbon.ingest.readers.encoding`. This module
picks the reader for a file (:func:`detect_format`, :func:`read_file`).

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
"""

from __future__ import annotations

import csv
import os
from collections.abc import Iterator
from itertools import islice
from pathlib import Path
from typing import Literal

import pandas as pd

from carbon.errors import InvalidInput
from carbon.ingest.readers.columns import (
    CANONICAL_COLUMNS,
    CATEGORICAL_COLUMNS,
    HEADER_SEARCH_ROWS,
    KEY_COLUMNS,
    VARIABLE_MAP,
    UnreadableFile,
    canonical_name,
    fill_enterprise,
    source_name,
)
from carbon.ingest.readers.csvfile import read_csv
from carbon.ingest.readers.encoding import decode_head
from carbon.ingest.readers.form205 import looks_like_form, read_form205
from carbon.ingest.readers.jsonfile import read_json
from carbon.ingest.readers.xlsx import is_zip, open_workbook, read_xlsx, sheet_rows, workbook_errors

__all__ = [
    "CANONICAL_COLUMNS", "CATEGORICAL_COLUMNS", "HEADER_SEARCH_ROWS", "KEY_COLUMNS", "VARIABLE_MAP", "Format",
    "UnreadableFile", "canonical_name", "detect_format", "read_csv", "read_file", "read_form205", "read_json",
    "read_xlsx",
]

Format = Literal["csv", "xlsx", "json", "form205"]

_EXTENSIONS: dict[str, Format] = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".xlsx": "xlsx", ".xlsm": "xlsx",
                                  ".json": "json"}


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
    name = source_name(path)
    suffix = Path(name).suffix.casefold()
    if suffix == ".xls":
        raise UnreadableFile(f"{name} is an Excel 97-2003 workbook (.xls); save it as .xlsx and upload it again")
    kind = _EXTENSIONS.get(suffix)
    if kind is None:
        raise UnreadableFile(f"{name}: unsupported file type {suffix or '(no extension)'}; "
                             "send .csv, .xlsx, .json or the form 205-1 as .xlsx/.csv")
    if kind == "json":
        return "json"
    if is_zip(path):
        with open_workbook(path) as workbook, workbook_errors(name):
            head = list(islice(sheet_rows(workbook[workbook.sheetnames[0]]), HEADER_SEARCH_ROWS))
        return "form205" if looks_like_form(head) else "xlsx"
    with open(path, "rb") as stream:
        text = decode_head(stream.read(64 * 1024))
    if text is None:
        return "csv"  # read_csv names the encoding problem
    rows = list(csv.reader(text.splitlines()[:HEADER_SEARCH_ROWS]))
    return "form205" if looks_like_form(rows) else "csv"


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
        raise InvalidInput(f"format must be auto, csv, xlsx, json or form205, not {format!r}")
    return (fill_enterprise(chunk, enterprise_id) for chunk in chunks)
