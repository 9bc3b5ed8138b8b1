"""Hostile files made on the spot (a few lines of zipfile): spreadsheet bombs are never committed."""

from __future__ import annotations

import zipfile
from pathlib import Path

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_TYPES = ('<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
          '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
          '<Default Extension="xml" ContentType="application/xml"/>'
          '<Override PartName="/xl/workbook.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
          '<Override PartName="/xl/worksheets/sheet1.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
          '<Override PartName="/xl/sharedStrings.xml" '
          'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/></Types>')
HEADER = ("enterprise_id", "period", "carrier", "quantity", "unit")
ROW = ("E1", "2024-01", "electricity", "1", "kWh")


def _cells(row_number: int, values: tuple[str, ...]) -> str:
    cells = "".join(f'<c r="{chr(65 + i)}{row_number}" t="inlineStr"><is><t>{v}</t></is></c>'
                    for i, v in enumerate(values))
    return f'<row r="{row_number}">{cells}</row>'


def xlsx_bomb(path: Path, *, empty_rows: int = 0, shared_strings: int = 0, dimension: str | None = None) -> Path:
    """A workbook with a header and one record, then ``empty_rows`` empty ``<row/>`` elements and
    ``shared_strings`` one-letter shared texts; all of it packs into well under 100 KB."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", _TYPES)
        archive.writestr("_rels/.rels", f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="r1" '
                                        f'Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>')
        archive.writestr("xl/workbook.xml", f'<?xml version="1.0"?><workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
                                            '<sheets><sheet name="s" sheetId="1" r:id="r1"/></sheets></workbook>')
        archive.writestr("xl/_rels/workbook.xml.rels",
                         f'<?xml version="1.0"?><Relationships xmlns="{_PKG}"><Relationship Id="r1" '
                         f'Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/></Relationships>')
        with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
            part.write(f'<?xml version="1.0"?><sst xmlns="{_MAIN}">'.encode())
            for _ in range(shared_strings // 10_000):
                part.write(b"<si><t>x</t></si>" * 10_000)
            part.write(b"</sst>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            extent = f'<dimension ref="{dimension}"/>' if dimension else ""
            part.write(f'<?xml version="1.0"?><worksheet xmlns="{_MAIN}">{extent}<sheetData>'.encode())
            part.write((_cells(1, HEADER) + _cells(2, ROW)).encode())
            for _ in range(empty_rows // 100_000):
                part.write(b"<row/>" * 100_000)
            part.write(b"</sheetData></worksheet>")
    return path
