"""Format detection and dispatch (read_file), and the bad-input corpus of tests/data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from carbon.ingest.readers import detect_format, read_file
from carbon.ingest.readers.columns import UnreadableFile
from tests.ingest.readers.samples import DATA, one


@pytest.mark.parametrize(
    ("name", "expected"),
    [("consumption_utf8.csv", "csv"), ("consumption_gbk.csv", "csv"), ("mixed_bad_values.csv", "csv"),
     ("consumption.xlsx", "xlsx"), ("consumption.json", "json"), ("form205_2024-03.xlsx", "form205"),
     ("form205_2024-03_gbk.csv", "form205"), ("form205_2024Q1.csv", "form205"), ("empty.csv", "csv")],
)
def test_detect_format(name: str, expected: str) -> None:
    assert detect_format(DATA / name) == expected


def test_detect_format_trusts_content_over_a_wrong_extension(tmp_path: Path) -> None:
    renamed = tmp_path / "export.csv"
    shutil.copy(DATA / "form205_2024-03.xlsx", renamed)
    assert detect_format(renamed) == "form205"
    assert one(read_file(renamed))["carrier"].tolist()[0] == "原煤"


@pytest.mark.parametrize(("name", "message"), [("report.xls", "save it as .xlsx"), ("report.pdf", "unsupported"),
                                               ("report", "unsupported")])
def test_detect_format_refuses_other_files(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.7")
    with pytest.raises(UnreadableFile, match=message):
        detect_format(path)


@pytest.mark.parametrize(
    ("name", "fragments"),
    [
        ("empty.csv", ["empty (0 bytes)"]),
        ("utf16.csv", ["UTF-16", "UTF-8", "GB18030"]),
        ("truncated.xlsx", ["not a complete XLSX workbook", "re-export"]),
        ("no_known_columns.csv", ["no recognisable columns", "'名称', '金额', '备注'", "企业编号", "quantity"]),
        ("form205_2024Q1.csv", ["2024年1-3月", "several months", "monthly form"]),
    ],
)
def test_bad_input_corpus(name: str, fragments: list[str]) -> None:
    with pytest.raises(UnreadableFile) as info:
        read_file(DATA / name)
    for fragment in fragments:
        assert fragment in str(info.value)
    assert name in str(info.value)  # the message names the file


def test_read_file_fills_a_missing_enterprise_only(tmp_path: Path) -> None:
    path = tmp_path / "no_enterprise.csv"
    path.write_text("统计期,能源品种,消费量,计量单位\n2024-03,电力,85.64,万千瓦时\n", encoding="utf-8")
    frame = one(read_file(path, enterprise_id="GZHTZ-0009"))
    assert list(frame.columns[:2]) == ["row", "enterprise_id"] and frame["enterprise_id"].tolist() == ["GZHTZ-0009"]
    assert one(read_file(DATA / "consumption_utf8.csv", enterprise_id="GZHTZ-0009"))["enterprise_id"].tolist()[
        0] == "GZHTZ-0001"
    assert "enterprise_id" not in one(read_file(path))
