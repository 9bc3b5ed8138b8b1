"""XLSX reader: title rows, Excel row numbers, sheets, damaged workbooks."""

from __future__ import annotations

from pathlib import Path

import pytest

from carbon.ingest.readers import read_file
from carbon.ingest.readers.columns import UnreadableFile
from carbon.ingest.readers.xlsx import read_xlsx
from tests.ingest.readers.samples import DATA, one, records


def test_xlsx_header_below_title_rows() -> None:
    frame = one(read_xlsx(DATA / "consumption.xlsx"))
    assert list(frame.columns) == ["row", "enterprise_id", "period", "carrier", "quantity", "unit", "purpose",
                                   "renewable", "submitted_at"]
    # Excel rows: title 1-2, blank 3, header 4, data 5-7, blank 8, data 9-10
    assert records(frame, "row", "period", "carrier", "quantity", "unit", "renewable", "submitted_at") == [
        (5, "2024-01", "电力", 85.64, "万千瓦时", "否", "2024-02-05"),
        (6, "2024-01", "天然气", 12.45, "万立方米", "否", "2024-02-05"),
        (7, "2024-02", "电力", 79.82, "万千瓦时", "否", "2024-03-04"),  # a date cell formatted yyyy-mm
        (9, "2024-02", "光伏发电", 6.15, "万千瓦时", "是", "2024-03-04"),
        (10, "2024-02", "柴油", 3.0, "吨", "否", "2024-03-04"),
    ]
    assert set(frame["enterprise_id"]) == {"GZHTZ-0004"}


def test_xlsx_chunks_keep_excel_row_numbers() -> None:
    frames = list(read_xlsx(DATA / "consumption.xlsx", chunksize=2))
    assert [f["row"].tolist() for f in frames] == [[5, 6], [7], [9, 10]]  # row 8 is blank


def test_xlsx_sheet_choice(tmp_path: Path) -> None:
    with pytest.raises(UnreadableFile, match="no sheet 'Sheet9'.*能源消费") as info:
        read_xlsx(DATA / "consumption.xlsx", sheet="Sheet9")
    assert "not a complete" not in str(info.value)
    assert len(one(read_xlsx(DATA / "consumption.xlsx", sheet="能源消费"))) == 5


def test_xlsx_a_zip_that_is_no_workbook(tmp_path: Path) -> None:
    import zipfile

    path = tmp_path / "report.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("report.csv", "period,quantity\n")
    with pytest.raises(UnreadableFile, match="report.xlsx: the file is not a complete XLSX workbook .*re-export"):
        read_file(path)


def test_xlsx_first_sheet_with_a_header_wins(tmp_path: Path) -> None:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active["A1"] = "请在第二个工作表填报"
    data = workbook.create_sheet("数据")
    data.append(["period", "carrier", "quantity", "unit"])
    data.append(["2024-03", "电力", 1001, "kWh"])
    path = tmp_path / "two_sheets.xlsx"
    workbook.save(path)
    assert records(one(read_xlsx(path)), "row", "carrier", "quantity") == [(2, "电力", 1001.0)]
