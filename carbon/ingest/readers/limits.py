"""Bounds on what a reader takes on: rows, columns, cell and line size, nesting depth, unpacked size, time.

Every file is checked before the work (:func:`check_file`: the bytes of a text file, the declared sizes of a
workbook's parts, the depth of a JSON document) and its records are counted and timed while they are read
(:func:`bounded`), so a hostile or broken file costs a bounded, small amount of time and memory and answers
with the limit it hit. The limits are settings: :func:`configure_limits` installs the service's (from
``CARBON_*`` environment variables, see ``api/settings.py``); the defaults suit monthly reports and
telemetry files of an industrial zone with a wide margin.
"""

from __future__ import annotations

import csv
import time
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from carbon.ingest.readers import UnreadableFile

__all__ = ["DEFAULT_LIMITS", "LimitExceeded", "ReaderLimits", "bounded", "check_file", "check_json_bytes",
           "check_text_bytes", "configure_limits", "current_limits", "reading_guard"]


@dataclass(frozen=True)
class ReaderLimits:
    """What one file may hold; a file over any of them is refused as a whole, before its rows are stored."""

    max_rows: int = 2_000_000
    """records (lines, sheet rows, JSON records) per file"""
    max_columns: int = 256
    """columns of a header row or a sheet"""
    max_line_bytes: int = 128 * 1024
    """bytes of one line of text (keeps every CSV field under the csv module's own field limit)"""
    max_json_depth: int = 32
    """nesting depth of a JSON document (records are two levels deep)"""
    max_unpacked_bytes: int = 256 * 1024 * 1024
    """declared unpacked size of all parts of a workbook [bytes]"""
    max_compression_ratio: float = 200.0
    """unpacked / packed size of a workbook part over 1 MiB (real sheets pack 5–30×, bombs 500× and more)"""
    max_shared_strings: int = 1_000_000
    """distinct texts of a workbook"""
    max_seconds: float = 120.0
    """reading one file [s]"""


DEFAULT_LIMITS = ReaderLimits()
_active: list[ReaderLimits] = [DEFAULT_LIMITS]


class LimitExceeded(UnreadableFile):
    """A file over one of the reader limits (too many rows, too large unpacked, nested too deep …)."""


def configure_limits(limits: ReaderLimits) -> None:
    """Install the limits every reader uses from now on (the service calls this at start-up)."""
    _active[0] = limits


def current_limits() -> ReaderLimits:
    """The limits in force."""
    return _active[0]


# -- text -----------------------------------------------------------------------------------------------------

def check_text_bytes(path: str | Path, name: str, limits: ReaderLimits | None = None) -> None:
    """Refuse a text file with a line longer than ``max_line_bytes`` or more than ``max_rows`` lines.

    Reads the bytes once in blocks (nothing is decoded or kept), so a single 15 MB line costs milliseconds.
    """
    limits = limits or current_limits()
    lines, current = 0, 0
    with open(path, "rb") as stream:
        while block := stream.read(1 << 20):
            parts = block.split(b"\n")
            longest = current + len(parts[0])
            if len(parts) > 1:
                longest = max(longest, max(map(len, parts[1:])))
                current = len(parts[-1])
            else:
                current = longest
            if longest > limits.max_line_bytes:
                raise LimitExceeded(f"{name}: a line is longer than {limits.max_line_bytes // 1024} KiB; a record "
                                    "of a consumption or telemetry file is a few hundred bytes — check the file")
            lines += len(parts) - 1
            if lines > limits.max_rows + 100:
                raise LimitExceeded(f"{name}: more than {limits.max_rows:,} lines; split the file")
    _check_header_width(path, name, limits)


def _check_header_width(path: str | Path, name: str, limits: ReaderLimits) -> None:
    with open(path, "rb") as stream:
        head = stream.read(64 * 1024).decode("utf-8", errors="replace").splitlines()[:30]
    widest = max((len(cells) for cells in csv.reader(head)), default=0)
    if widest > limits.max_columns:
        raise LimitExceeded(f"{name}: {widest} columns; at most {limits.max_columns} are read")


# -- JSON -----------------------------------------------------------------------------------------------------

def check_json_bytes(data: bytes, name: str, limits: ReaderLimits | None = None) -> None:
    """Refuse a JSON document nested deeper than ``max_json_depth``, counted on the bytes, before parsing.

    Brackets inside strings are not counted: a byte is inside a string when an odd number of unescaped quotes
    precede it.
    """
    limits = limits or current_limits()
    raw = np.frombuffer(data, dtype=np.uint8)
    if raw.size == 0:
        return
    escaped = _escaped(raw)
    quote = (raw == ord('"')) & ~escaped
    inside = (np.cumsum(quote) % 2).astype(bool) & ~quote
    opens = ((raw == ord("[")) | (raw == ord("{"))) & ~inside
    closes = ((raw == ord("]")) | (raw == ord("}"))) & ~inside
    depth = np.cumsum(opens.astype(np.int32) - closes.astype(np.int32))
    if depth.max(initial=0) > limits.max_json_depth:
        raise LimitExceeded(f"{name}: JSON nested deeper than {limits.max_json_depth} levels; send a list of "
                            "records or an object with 'records'")


def _escaped(raw: np.ndarray) -> np.ndarray:
    """Bytes preceded by an odd run of backslashes (an escaped quote is not a string boundary)."""
    backslash = raw == ord("\\")
    if not backslash.any():
        return np.zeros(raw.size, dtype=bool)
    # length of the run of backslashes ending at each byte
    index = np.arange(raw.size)
    last_other = np.maximum.accumulate(np.where(~backslash, index, -1))
    run = index - last_other
    preceding = np.concatenate(([0], np.where(backslash, run, 0)[:-1]))
    return preceding % 2 == 1


# -- any file -------------------------------------------------------------------------------------------------

def check_file(path: str | Path, name: str | None = None, limits: ReaderLimits | None = None) -> None:
    """Check a file against the limits before any reader opens it (workbook, JSON or text, by its bytes).

    Raises
    ------
    LimitExceeded
        Naming the limit the file is over.
    UnreadableFile
        A workbook whose container is damaged.
    """
    from carbon.ingest.readers.zipcheck import check_workbook

    limits = limits or current_limits()
    path = Path(path)
    name = name or path.name
    with open(path, "rb") as stream:
        magic = stream.read(4)
    if magic == b"PK\x03\x04":
        check_workbook(path, name, limits)
    elif path.suffix.lower() == ".json":
        check_json_bytes(path.read_bytes(), name, limits)
    else:
        check_text_bytes(path, name, limits)


# What parsing hostile bytes may raise beyond the readers' own checks: Python's csv field limit, a recursion
# in a parser, a damaged zip member, a stray lone surrogate.
_PARSER_ERRORS: tuple[type[BaseException], ...] = (csv.Error, RecursionError, zipfile.BadZipFile, zipfile.LargeZipFile,
                                                   UnicodeError, EOFError, OverflowError, MemoryError)


@contextmanager
def reading_guard(name: str) -> Iterator[None]:
    """Turn what a parser raises on a hostile file into UnreadableFile naming the file."""
    try:
        yield
    except UnreadableFile:
        raise
    except _PARSER_ERRORS as error:
        raise UnreadableFile(f"{name} cannot be read ({type(error).__name__}: {str(error)[:200]})") from None


def bounded(chunks: Iterable[pd.DataFrame], name: str, limits: ReaderLimits | None = None) -> Iterator[pd.DataFrame]:
    """The chunks of a reader, refused as soon as they exceed ``max_rows`` or ``max_seconds``.

    A statistics form 205-1 without a single recognisable energy line is refused with its reason instead of
    reading as zero records.
    """
    limits = limits or current_limits()
    started, rows = time.monotonic(), 0
    with reading_guard(name):
        for chunk in chunks:
            rows += len(chunk)
            if rows > limits.max_rows:
                raise LimitExceeded(f"{name}: more than {limits.max_rows:,} records; split the file")
            if time.monotonic() - started > limits.max_seconds:
                raise LimitExceeded(f"{name}: reading took longer than {limits.max_seconds:g} s; split the file")
            if chunk.empty and chunk.attrs.get("source_format") == "form205":
                raise UnreadableFile(f"{name}: form 205-1 has no energy line with a recognisable energy name "
                                     "(能源名称) and a consumption (消费量合计) under its header")
            yield chunk
