"""Consumption records as JSON: a list of records, or ``{"enterprise_id": ..., "records": [...]}``.

:func:`read_json` takes a file, bytes or an already parsed document; :func:`carbon.ingest.readers.http.get_json`
fetches one over HTTP; both hand the document to :func:`parse_json`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from carbon.ingest.readers.columns import (
    CANONICAL_COLUMNS,
    KEY_COLUMNS,
    UnreadableFile,
    canonical_frame,
    canonical_name,
    cell_text,
    no_known_columns,
    present,
    source_name,
)
from carbon.ingest.readers.encoding import decode_text
from carbon.text import fold

__all__ = ["parse_json", "read_json"]


def read_json(path_or_obj: Any, *, enterprise_id: str | None = None,
              chunksize: int = 100_000) -> Iterator[pd.DataFrame]:
    """Read consumption records from JSON onto the canonical columns.

    Parameters
    ----------
    path_or_obj : path, bytes, file, list or dict
        A list of records, or an object ``{"enterprise_id": ..., "records": [...]}`` (``data`` or ``items``
        are accepted for ``records``) whose enterprise fills the records that lack one. Record keys are matched
        through :data:`~carbon.ingest.readers.columns.VARIABLE_MAP`; other keys are dropped.
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
    return parse_json(document, enterprise_id=enterprise_id, chunksize=chunksize, source=name)


def _load_json(source: Any) -> tuple[Any, str]:
    """A JSON document from a path, bytes, a buffer, or an already parsed object."""
    if isinstance(source, list | dict):
        return source, "JSON body"
    if isinstance(source, str | os.PathLike):
        name = source_name(source)
        data = Path(source).read_bytes()
    elif isinstance(source, bytes | bytearray):
        name, data = "JSON body", bytes(source)
    elif hasattr(source, "read"):
        name = source_name(source)
        raw = source.read()
        data = raw.encode("utf-8") if isinstance(raw, str) else raw
    else:
        raise TypeError(f"read_json takes a path, bytes, a file or a parsed list/dict, not {type(source).__name__}")
    text = decode_text(data, name)
    try:
        return json.loads(text), name
    except json.JSONDecodeError as error:
        raise UnreadableFile(f"{name} is not valid JSON: {error.msg} at line {error.lineno}, "
                             f"column {error.colno}") from error


def parse_json(document: Any, *, enterprise_id: str | None = None, chunksize: int = 100_000,
               source: str = "JSON body") -> Iterator[pd.DataFrame]:
    """The canonical chunks of a parsed JSON document (shared by :func:`read_json` and ``get_json``).

    Parameters
    ----------
    document : list or dict
        A list of records, or an object with a ``records`` (``data``, ``items``) list and optionally an
        enterprise for the records that lack one.
    enterprise_id : str, optional
        Fills the records that have no enterprise of their own and no object-level one.
    chunksize : int
        Records per chunk.
    source : str
        How messages name the document (a file name, a URL).

    Returns
    -------
    iterator of DataFrame
        As :func:`read_json`.

    Raises
    ------
    UnreadableFile
        A document of another shape, or records with no recognisable key.
    """
    fill = enterprise_id
    if isinstance(document, dict):
        records_key = next((k for k in document if fold(k) in {"records", "data", "items"}), None)
        if records_key is None or not isinstance(document[records_key], list):
            keys = ", ".join(map(repr, document)) or "none"
            raise UnreadableFile(f"{source}: expected a list of records or an object with a 'records' list; "
                                 f"found an object with keys {keys}")
        outer = next((v for k, v in document.items() if canonical_name(k) == "enterprise_id"), None)
        fill = outer if present(outer) else enterprise_id
        records = document[records_key]
    elif isinstance(document, list):
        records = document
    else:
        raise UnreadableFile(f"{source}: expected a list of records or an object with a 'records' list; "
                             f"found {type(document).__name__}")
    if records and not any(isinstance(r, dict) and any(canonical_name(k) in KEY_COLUMNS for k in r)
                           for r in records):
        keys = sorted({str(k) for r in records[:100] if isinstance(r, dict) for k in r})
        raise no_known_columns(source, keys)
    return _json_chunks(records, fill=fill, chunksize=chunksize)


def _json_chunks(records: list[Any], *, fill: object, chunksize: int) -> Iterator[pd.DataFrame]:
    for start in range(0, len(records), chunksize):
        block = records[start:start + chunksize]
        mapped = [_map_record(r) for r in block]
        frame = pd.DataFrame.from_records(mapped, columns=[c for c in CANONICAL_COLUMNS if c != "row"])
        frame = frame.dropna(axis=1, how="all")
        if fill is not None:
            frame["enterprise_id"] = (frame["enterprise_id"].where(frame["enterprise_id"].map(present), fill)
                                      if "enterprise_id" in frame else fill)
        columns = {n: _json_column(n, frame[n]) for n in frame.columns}
        yield canonical_frame(columns, np.arange(start, start + len(block)))


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
        return values.map(lambda v: cell_text(v) if isinstance(v, bool) else v)
    return values.map(lambda v: v if v is None or isinstance(v, str) else _json_text(v)).astype("str")


def _json_text(value: object) -> object:
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return cell_text(value)
