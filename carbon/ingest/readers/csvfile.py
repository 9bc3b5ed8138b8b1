"""Consumption CSV: any of the encodings of :mod:`~carbon.ingest.readers.encoding`, read in chunks."""

from __future__ import annotations

import codecs
import csv
import io
import os
from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

import pandas as pd

from carbon.ingest.readers.columns import (
    CATEGORICAL_COLUMNS,
    HEADER_SEARCH_ROWS,
    UnreadableFile,
    canonical_frame,
    drop_blank,
    header_or_fail,
    source_name,
    start_reader,
)
from carbon.ingest.readers.encoding import PathOrBuffer, binary_stream, detect_encoding

__all__ = ["csv_cells", "read_csv"]


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
    return start_reader(_parse_csv(path_or_buffer, chunksize=chunksize, encoding=encoding))


def _parse_csv(source: PathOrBuffer, *, chunksize: int, encoding: str | None) -> Iterator[pd.DataFrame | None]:
    name = source_name(source)
    if isinstance(source, io.TextIOBase):
        stream: Any = source
        owned = False
        start = source.tell()
        head = [cells for cells in csv.reader(islice(source, HEADER_SEARCH_ROWS))]
        source.seek(start)
        if not head:
            raise UnreadableFile(f"{name} is empty; export the data again")
    else:
        stream, owned = binary_stream(source)
    try:
        if not isinstance(stream, io.TextIOBase):
            if encoding is None:
                encoding = detect_encoding(stream, name)
            elif not stream.read(1):
                raise UnreadableFile(f"{name} is empty (0 bytes); export the data again")
            else:
                stream.seek(stream.tell() - 1)
            head = _head_lines(stream, encoding)
        header_index, positions = header_or_fail(name, head)
        yield None

        yield from _records(stream, encoding, name, header_index, positions, chunksize)
    finally:
        if owned:
            stream.close()


def _records(stream: Any, encoding: str | None, name: str, header_index: int, positions: dict[int, str],
             chunksize: int) -> Iterator[pd.DataFrame]:
    """The canonical chunks of the records below the header.

    The C parser builds the key columns as categoricals and the quantity as floats itself, several times faster
    than text converted afterwards. It cannot keep every text as written, though: a quantity that is not a
    number makes it fail, and a key column whose values all look like numbers (``202403``) gets numeric
    categories. From the first chunk where either happens the file is read again as text, from the same record
    on, so the chunks are the same as if it had been read as text throughout.
    """
    order = sorted(positions)
    names = [positions[p] for p in order]
    first_line = header_index + 2  # 1-based line of the first record
    start = stream.tell()
    options: dict[str, Any] = dict(encoding=encoding, header=0, skiprows=header_index, usecols=order,
                                   keep_default_na=False, na_values=[""], skip_blank_lines=False)
    labels = list(pd.read_csv(stream, nrows=0, **options).columns)  # how the parser names the used columns
    stream.seek(start)
    fast = {label: _parsed_as(column) for label, column in zip(labels, names, strict=True)}
    done = 0  # records handled so far
    for dtype in (fast, str):
        try:
            with pd.read_csv(stream, dtype=dtype, chunksize=chunksize, **options) as reader:
                for chunk in _from_record(reader, done):
                    if dtype is fast and not _as_written(chunk):
                        break
                    chunk.columns = names
                    done = int(chunk.index[-1]) + 1 if len(chunk) else done
                    frame = drop_blank(canonical_frame({n: chunk[n] for n in names},
                                                       chunk.index.to_numpy() + first_line))
                    if len(frame):
                        yield frame
                else:
                    return
        except (UnicodeDecodeError, pd.errors.ParserError) as error:
            raise UnreadableFile(f"{name} could not be parsed as CSV: {error}") from error
        except ValueError:
            if dtype is not fast:
                raise
        stream.seek(start)


def _parsed_as(column: str) -> Any:
    """The dtype the C parser gives a canonical column on the fast path: categories for the keys, floats for the
    quantity, text for the rest."""
    if column in CATEGORICAL_COLUMNS:
        return "category"
    return "float64" if column == "quantity" else str


def _as_written(chunk: pd.DataFrame) -> bool:
    """Whether the categorical columns of a chunk kept their values as text (the parser makes numbers of
    categories that all look like numbers)."""
    for _, series in chunk.items():
        if isinstance(series.dtype, pd.CategoricalDtype) and \
                not all(isinstance(value, str) for value in series.cat.categories):
            return False
    return True


def _from_record(reader: Any, done: int) -> Iterator[pd.DataFrame]:
    """The chunks of a reader from record ``done`` on (the records before it were handled already)."""
    for chunk in reader:
        if len(chunk) and int(chunk.index[-1]) < done:
            continue
        yield chunk.loc[chunk.index >= done] if done else chunk


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


def csv_cells(path: str | os.PathLike[str]) -> tuple[list[list[str]], list[int]]:
    """All cells of a (small) CSV file, as written, and the line number each record starts on."""
    name = source_name(path)
    with open(path, "rb") as stream:
        encoding = detect_encoding(stream, name)
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
