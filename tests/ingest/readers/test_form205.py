"""The statistics form 205-1: recorded samples, the fuel/feedstock split, periods, missing columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from carbon.ingest.readers import read_file
from carbon.ingest.readers.columns import UnreadableFile
from carbon.ingest.readers.form205 import read_form205
from tests.ingest.readers.samples import DATA, one, records

# tests/data/form205_2024-03.*: columns 4 (消费量合计) and 6 (其中：用作原材料) of each energy line.
# 天然气: 12.45 万m³ in total, 3.6 of it as raw material → fuel 12.45 − 3.6 = 8.85, feedstock 3.6.
FORM_RECORDS = [
    (9, "原煤", 1600.0, "吨", "fuel"),
    (10, "天然气", 8.85, "万立方米", "fuel"),
    (10, "天然气", 3.6, "万立方米", "feedstock"),
    (11, "柴油", 3.2, "吨", "fuel"),
    (12, "热力", 1850.0, "百万千焦", "fuel"),
    (13, "电力", 85.64, "万千瓦时", "fuel"),
]


@pytest.mark.parametrize("name", ["form205_2024-03.xlsx", "form205_2024-03_gbk.csv"])
def test_form205_sample(name: str) -> None:
    frame = one(read_file(DATA / name))
    assert records(frame, "row", "carrier", "quantity", "unit", "purpose") == FORM_RECORDS
    assert frame["quantity"].dtype == np.float64
    assert set(frame["period"]) == {"2024年3月"}  # from the title rows, as written; not 有效期至 2026年2月
    assert set(frame["enterprise_id"]) == {"91440101MA9W4K2X7B"}  # one cell in the xlsx, one box each in the csv
    assert frame.attrs["enterprise_name"] == "广州华腾新材料有限公司"
    assert 15 not in frame["row"].tolist()  # 能源合计 (tce) skipped; row 17, the signature footer, is not read


def test_form205_enterprise_argument_wins_and_the_code_stays_in_attrs() -> None:
    frame = one(read_form205(DATA / "form205_2024-03.xlsx", enterprise_id="GZHTZ-0004"))
    assert set(frame["enterprise_id"]) == {"GZHTZ-0004"}
    assert frame.attrs["enterprise_code"] == "91440101MA9W4K2X7B" and frame.attrs["period"] == "2024年3月"


FORM_TOP = "工业企业能源购进、消费与库存\n组织机构代码：MA9W4K2X-7\n{period}\n"
FORM_HEADER = ("能源名称,计量单位,代码,年初库存量,购进量,,消费量,,,,,期末库存量,采用折标系数\n"
               ",,,,实物量,金额（千元）,合计,其中：工业生产消费,其中：用作原材料,非工业生产消费,合计中：运输工具消费,,\n"
               "甲,乙,丙,1,2,3,4,5,6,7,8,9,10\n")


def write_form(tmp_path: Path, lines: str, period: str = "报告期：2024年3月") -> Path:
    path = tmp_path / "form.csv"
    path.write_text(FORM_TOP.format(period=period) + FORM_HEADER + lines, encoding="utf-8")
    return path


def test_form205_cells_that_are_not_numbers_are_handed_over(tmp_path: Path) -> None:
    path = write_form(tmp_path, (
        '原煤,吨,01,,,,"1,600.5",,—,,,,0.7143\n'  # line 7: thousands separator; — marks "none"
        "天然气,万立方米,,,,,约12,,3.6,,,,13.3\n"     # line 8: total is text → written as is
        "柴油,吨,,,,,3.2,,少量,,,,1.4571\n"          # line 9: raw material is text → both as written
        "焦炭,吨,,,,,,,,,,,\n"                       # line 10: not consumed → no record
        "电力,万千瓦时,,,,,85.64,,,,,,1.229\n"        # line 11
        "其中：绿色电力,万千瓦时,,,,,20,,,,,,\n"      # line 12: part of line 11, not counted twice
        "合计,吨标准煤,,,,,1300,,,,,,\n"))
    frame = one(read_form205(path))
    assert records(frame, "row", "carrier", "quantity", "purpose") == [
        (7, "原煤", "1600.5", "fuel"),
        (8, "天然气", "约12", "fuel"),
        (8, "天然气", "3.6", "feedstock"),
        (9, "柴油", "3.2", "fuel"),
        (9, "柴油", "少量", "feedstock"),
        (11, "电力", "85.64", "fuel"),
    ]
    assert "enterprise_id" in frame and set(frame["enterprise_id"]) == {"MA9W4K2X-7"}


def test_form205_raw_material_above_total_gives_a_negative_fuel_line(tmp_path: Path) -> None:
    # 4 − 6 = 10 − 12 = −2: the inconsistency reaches the validator, which rejects the row
    frame = one(read_form205(write_form(tmp_path, "天然气,万立方米,,,,,10,,12,,,,13.3\n")))
    assert records(frame, "row", "quantity", "purpose") == [(7, -2.0, "fuel"), (7, 12.0, "feedstock")]


@pytest.mark.parametrize(
    ("period", "fragment"),
    [("2024年1-3月", "several months"), ("2024年第一季度", "several months"), ("2024年1月—6月", "several months"),
     ("有效期至：2026年2月", "no report month"), ("", "no report month")],
)
def test_form205_needs_one_month(tmp_path: Path, period: str, fragment: str) -> None:
    with pytest.raises(UnreadableFile, match=fragment):
        read_form205(write_form(tmp_path, "电力,万千瓦时,,,,,85.64,,,,,,1.229\n", period=period))


def test_form205_without_its_columns(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text(FORM_TOP.format(period="2024年3月") + "能源名称,消费量\n,合计\n电力,85\n", encoding="utf-8")
    with pytest.raises(UnreadableFile, match="columns not found: 计量单位"):
        read_form205(path)
