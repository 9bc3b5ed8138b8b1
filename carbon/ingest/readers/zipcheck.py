"""A workbook's container checked before openpyxl opens it: declared sizes, packing ratio, declared and real rows.

An XLSX file is a zip archive of XML parts. A spreadsheet bomb is small packed and huge unpacked (10 M empty
``<row/>`` elements or 2 M shared strings in under 100 KB); openpyxl would spend minutes and gigabytes on it,
and it loads all shared strings even in read-only mode. The zip's central directory declares every part's
packed and unpacked size (``zipfile`` never unpacks past the declared size), and a sheet's ``<dimension>``
declares its extent, so most bombs are refused from a few kilobytes; the rows and strings of what remains are
counted on the unpacked bytes as a stream, never parsed.
"""

from __future__ import annotations

import re
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

from carbon.ingest.readers import UnreadableFile
from carbon.ingest.readers.limits import LimitExceeded, ReaderLimits, current_limits

__all__ = ["check_workbook"]

MAX_PARTS = 10_000
_RATIO_FLOOR = 1 << 20  # parts smaller than this unpacked are never refused for their ratio [bytes]
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]{1,3}\d+(?::(?P<col>[A-Z]{1,3})(?P<row>\d+))?"')
_COUNT = re.compile(rb'<(?:\w+:)?sst\b[^>]*?\b(?:uniqueCount|count)="(?P<n>\d+)"')
_SHEET = re.compile(r"xl/worksheets/[^/]+\.xml")


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 64
    return number


def check_workbook(path: str | Path, name: str, limits: ReaderLimits | None = None) -> None:
    """Refuse a workbook over the limits, from its zip directory and a streamed count of rows and strings.

    Parameters
    ----------
    path : path
        The ``.xlsx`` file.
    name : str
        The file's name for messages.
    limits : ReaderLimits, optional
        Defaults to the limits in force.

    Raises
    ------
    LimitExceeded
        Unpacked size, packing ratio, declared or counted rows, columns, shared strings, or time over a limit.
    UnreadableFile
        The zip container itself is damaged.
    """
    limits = limits or current_limits()
    started = time.monotonic()
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as error:
        raise UnreadableFile(f"{name}: the file is not a complete XLSX workbook ({error}); re-export it from "
                             "Excel (Save As › Excel Workbook .xlsx) and upload it again") from None
    with archive:
        _check_directory(archive.infolist(), name, limits)
        for info in archive.infolist():
            if _SHEET.fullmatch(info.filename):
                _check_sheet(archive, info, name, limits, started)
            elif info.filename == "xl/sharedStrings.xml":
                _check_strings(archive, info, name, limits, started)


def _check_directory(infos: list[zipfile.ZipInfo], name: str, limits: ReaderLimits) -> None:
    if len(infos) > MAX_PARTS:
        raise LimitExceeded(f"{name}: {len(infos):,} parts in the workbook; a report has a few dozen")
    unpacked = sum(info.file_size for info in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise LimitExceeded(f"{name}: {unpacked / 2**20:,.0f} MiB unpacked; at most "
                            f"{limits.max_unpacked_bytes / 2**20:,.0f} MiB are read — split the workbook")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _RATIO_FLOOR and ratio > limits.max_compression_ratio:
            raise LimitExceeded(f"{name}: part {info.filename} unpacks {ratio:,.0f}× its packed size (at most "
                                f"{limits.max_compression_ratio:g}×); the workbook is mostly empty rows or "
                                "repeated text — copy the data into a new workbook")


def _stream(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ReaderLimits,
            started: float) -> Iterator[tuple[bytes, int]]:
    """The unpacked bytes of one part in blocks, each with the tail of the previous one (tags cut at a boundary)."""
    tail = b""
    try:
        with archive.open(info) as part:
            while block := part.read(1 << 20):
                if time.monotonic() - started > limits.max_seconds:
                    raise LimitExceeded(f"{name}: checking the workbook took longer than {limits.max_seconds:g} s")
                yield tail + block, len(tail)
                tail = block[-16:]
    except (zipfile.BadZipFile, EOFError, OSError, ValueError) as error:
        raise UnreadableFile(f"{name}: part {info.filename} is damaged ({error}); re-export the workbook") from None


def _count_tags(text: bytes, carried: int, tags: tuple[bytes, ...]) -> int:
    """Occurrences of the tags in a block, less those wholly inside the carried-over tail (counted before)."""
    return sum(text.count(tag) - text[:carried].count(tag) for tag in tags)


def _check_sheet(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ReaderLimits,
                 started: float) -> None:
    rows = 0
    for index, (text, skip) in enumerate(_stream(archive, info, name, limits, started)):
        if index == 0:
            _check_dimension(text[:8192], info.filename, name, limits)
        rows += _count_tags(text, skip, (b"<row ", b"<row>", b"<row/>"))
        if rows > limits.max_rows:
            raise LimitExceeded(f"{name}: {info.filename} holds more than {limits.max_rows:,} rows; split the "
                                "workbook")


def _check_dimension(head: bytes, part: str, name: str, limits: ReaderLimits) -> None:
    found = _DIMENSION.search(head)
    if found is None or found["row"] is None:
        return
    rows, columns = int(found["row"]), _column_number(found["col"])
    if rows > limits.max_rows:
        raise LimitExceeded(f"{name}: {part} declares {rows:,} rows; at most {limits.max_rows:,} are read")
    if columns > limits.max_columns:
        raise LimitExceeded(f"{name}: {part} declares {columns:,} columns; at most {limits.max_columns:,} are read")


def _check_strings(archive: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, limits: ReaderLimits,
                   started: float) -> None:
    strings = 0
    for index, (text, skip) in enumerate(_stream(archive, info, name, limits, started)):
        if index == 0:
            declared = _COUNT.search(text[:4096])
            if declared is not None and int(declared["n"]) > limits.max_shared_strings:
                raise LimitExceeded(f"{name}: {int(declared['n']):,} shared texts declared; at most "
                                    f"{limits.max_shared_strings:,} are read")
        strings += _count_tags(text, skip, (b"<si>", b"<si "))
        if strings > limits.max_shared_strings:
            raise LimitExceeded(f"{name}: more than {limits.max_shared_strings:,} shared texts; at most "
                                f"{limits.max_shared_strings:,} are read")
