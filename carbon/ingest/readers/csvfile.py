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
                    frame = drop_blank(canonical_frame({n: chunk[n] for n in names}, rows))
                    if len(frame):
                        yield frame
            except (UnicodeDecodeError, pd.errors.ParserError) as error:
                raise UnreadableFile(f"{name} could not be parsed as CSV: {error}") from error
    finally:
        if owned:
            stream.close()


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
