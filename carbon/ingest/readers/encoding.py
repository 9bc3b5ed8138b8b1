"""Text encodings of the files enterprises send: UTF-8 (with or without BOM) and GB18030/GBK.

Spreadsheet programs on Chinese systems save CSV as GBK unless told otherwise; newer ones write UTF-8 with a BOM.
:func:`detect_encoding` decides by decoding the whole byte stream block by block (never held whole): UTF-8 first,
then GB18030, a superset of GBK and GB2312. UTF-16/32 (a BOM), NUL bytes (UTF-16 without a BOM, binary files) and
ZIP archives (a workbook under a ``.csv`` name) are refused with what to do.
"""

from __future__ import annotations

import codecs
import os
import tempfile
from collections.abc import Iterable, Iterator
from typing import IO

from carbon.ingest.readers.columns import UnreadableFile

__all__ = [
    "BLOCK", "ENCODINGS", "TRIED", "PathOrBuffer", "binary_stream", "blocks", "decode_head", "decode_text",
    "detect_encoding",
]

PathOrBuffer = str | os.PathLike[str] | IO[bytes] | IO[str]

BLOCK = 1 << 18  # bytes per read when scanning a file's encoding (256 KiB: the decoded block is transient)
ENCODINGS = ("utf-8", "gb18030")  # GB18030 is a superset of GBK and GB2312
TRIED = "tried UTF-8 (with or without BOM) and GB18030/GBK"

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "UTF-32"), (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"), (codecs.BOM_UTF16_BE, "UTF-16"),
)


def blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream's bytes in blocks of :data:`BLOCK`."""
    while block := stream.read(BLOCK):
        yield block


def _decodes(chunks: Iterable[bytes], encoding: str) -> bool:
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for block in chunks:
            decoder.decode(block)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(stream: IO[bytes], source: str) -> str:
    """The encoding of a byte stream, checked over the whole stream block by block (never held whole).

    Returns ``"utf-8-sig"``, ``"utf-8"`` or ``"gb18030"``; the stream is left at its starting position.

    Raises
    ------
    UnreadableFile
        An empty stream, UTF-16/32 text, NUL bytes, a ZIP archive, or bytes neither encoding decodes.
    """
    start = stream.tell()
    head = stream.read(BLOCK)
    if not head:
        raise UnreadableFile(f"{source} is empty (0 bytes); export the data again")
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise UnreadableFile(f"{source} is {name} text; {TRIED}. Save it as 'CSV UTF-8' and upload it again")
    if head.startswith(b"PK\x03\x04"):
        raise UnreadableFile(f"{source} is a ZIP archive (an XLSX workbook?), not CSV text; upload it as .xlsx")
    try:
        for encoding in ENCODINGS:
            stream.seek(start)
            if _decodes(_nul_checked(blocks(stream), source), encoding):
                if encoding == "utf-8" and head.startswith(codecs.BOM_UTF8):
                    return "utf-8-sig"
                return encoding
    finally:
        stream.seek(start)
    raise UnreadableFile(f"{source} is neither UTF-8 nor GB18030/GBK text ({TRIED}); "
                         "save it as 'CSV UTF-8' and upload it again")


def _nul_checked(chunks: Iterable[bytes], source: str) -> Iterator[bytes]:
    # Text CSV never holds NUL bytes; UTF-16 without a BOM and binary files do, and would otherwise decode.
    for block in chunks:
        if b"\x00" in block:
            raise UnreadableFile(f"{source} holds NUL bytes: it is binary or UTF-16 text, not CSV ({TRIED}); "
                                 "save it as 'CSV UTF-8' and upload it again")
        yield block


def decode_text(data: bytes, source: str) -> str:
    """A whole (small) document as text: UTF-8 with or without BOM, else GB18030; UnreadableFile otherwise."""
    if not data.strip():
        raise UnreadableFile(f"{source} is empty; send a list of records or an object with 'records'")
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UnreadableFile(f"{source} is neither UTF-8 nor GB18030/GBK text ({TRIED})")


def decode_head(head: bytes) -> str | None:
    """The first bytes of a file as text in the first encoding that decodes them (a cut last character is
    allowed), or None when none does."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
        try:
            return decoder.decode(head, final=False)
        except UnicodeDecodeError:
            continue
    return None


def binary_stream(source: PathOrBuffer) -> tuple[IO[bytes], bool]:
    """A seekable binary stream over a path or buffer, and whether the caller must close it."""
    if isinstance(source, str | os.PathLike):
        return open(source, "rb"), True
    if not source.seekable():  # an upload stream: spool it so it can be scanned, then parsed
        spool = tempfile.SpooledTemporaryFile(max_size=8 * BLOCK)  # noqa: SIM115 - closed by the caller
        for block in blocks(source):  # type: ignore[arg-type]
            spool.write(block)
        spool.seek(0)
        return spool, True  # type: ignore[return-value]
    return source, False  # type: ignore[return-value]
