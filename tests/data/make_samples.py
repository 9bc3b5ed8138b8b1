"""Rebuild the recorded input files of the ingestion tests.

Run ``python tests/data/make_samples.py`` from the repository root; the outputs are committed next to this file,
and the tests read those, not this generator. Workbooks get a fixed timestamp, so a rebuild gives the same bytes.

The enterprises (GZHTZ-0001 …), their names and credit codes are fictitious. The quantities are plausible for
a mid-sized plant of a high-tech zone: a few hundred MWh of electricity, some 10⁵ m³ of natural gas a month.

Form 205-1 (工业企业能源购进、消费与库存) follows the layout of the statistics system: title rows with the
credit code, the unit name and the report month; a two-row header — 能源名称, 计量单位, 代码, 年初库存量,
购进量 (实物量, 金额(千元)), 消费量 (合计, 工业生产消费, 其中: 用作原材料, 非工业生产消费, 合计中: 运输工具消费),
期末库存量, 采用折标系数, 参考折标系数 — then the column-number row 甲 乙 丙 1 … 10 丁, one line per energy
type, a 能源合计 line in tce and the signature footer. The column set and 原煤 = 01, 能源合计 = 40 were seen in
a public rendition of the form; the other energy codes below are placeholders (unverified) — the reader does
not use them.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import zipfile
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
STAMP = (2024, 4, 8, 9, 0, 0)  # fixed zip and document time of the workbooks

# ---------------------------------------------------------------------------------------------------------------
# plain consumption files
# ---------------------------------------------------------------------------------------------------------------

UTF8_ROWS = [
    ["Enterprise ID", "Period", "Carrier", "Quantity", "Unit", "Purpose", "NCV", "NCV unit", "Submitted at"],
    ["GZHTZ-0001", "2024-01", "electricity", "856400", "kWh", "fuel", "", "", "2024-02-05"],
    ["GZHTZ-0001", "2024-01", "natural gas", "124500", "m3", "fuel", "", "", "2024-02-05"],
    ["GZHTZ-0001", "2024-01", "raw coal", "160.5", "t", "fuel", "21.35", "GJ/t", "2024-02-05"],
    ["GZHTZ-0001", "2024-02", "electricity", "798200", "kWh", "fuel", "", "", "2024-03-04"],
    ["GZHTZ-0001", "2024-02", "natural gas", "118300", "m3", "fuel", "", "", "2024-03-04"],
    ["GZHTZ-0002", "2024-01", "electricity", "1203000", "kWh", "fuel", "", "", "2024-02-06"],
    ["GZHTZ-0002", "2024-01", "natural gas", "56000", "m3", "feedstock", "", "", "2024-02-06"],
    ["GZHTZ-0002", "2024-01", "heat", "1850", "GJ", "fuel", "", "", "2024-02-06"],
]

CHINESE_ROWS = [
    ["企业编号", "统计期", "能源品种", "消费量", "计量单位", "用途"],
    ["GZHTZ-0003", "2024年1月", "电力", "85.64", "万千瓦时", "燃料"],
    ["GZHTZ-0003", "2024年1月", "天然气", "12.45", "万立方米", "燃料"],
    ["GZHTZ-0003", "2024年1月", "柴油", "3.2", "吨", "燃料"],
    ["GZHTZ-0003", "2024年2月", "电力", "79.82", "万千瓦时", "燃料"],
    ["GZHTZ-0003", "2024年2月", "天然气", "11.83", "万立方米", "原料"],
    ["GZHTZ-0003", "2024年2月", "光伏发电", "6.15", "万千瓦时", "燃料"],
]

# GBK export of a spreadsheet with other header names, an extra column and periods in other spellings.
GBK_ROWS = [
    ["单位代码", "报告期", "能源名称", "实物量", "单位", "用途", "备注"],
    ["GZHTZ-0006", "2024/3", "原煤", "1600", "吨", "燃料", "锅炉用煤"],
    ["GZHTZ-0006", "202403", "焦炭", "45.5", "吨", "原料", ""],
    ["GZHTZ-0006", "2024-03", "液化石油气", "2.4", "吨", "燃料", "食堂"],
    ["GZHTZ-0006", "2024年3月", "热力", "1850", "百万千焦", "燃料", "外购蒸汽折算"],
]

# Good rows next to rows a validator must reject one by one; a reader reads them all.
MIXED_LINES = [
    "enterprise_id,period,carrier,quantity,unit,purpose",
    "GZHTZ-0001,2024-01,电力,85.64,万千瓦时,fuel",        # line 2: good
    "GZHTZ-0001,2024-01,柴油,三点二,吨,fuel",             # line 3: text in the quantity column
    "GZHTZ-0001,2024-01,天然气,-12.4,万立方米,fuel",      # line 4: negative
    "GZHTZ-0001,2024-01,原煤,16,车,fuel",                 # line 5: unknown unit (truckloads)
    "GZHTZ-0001,2024-01,electricity,5000,m³,fuel",        # line 6: m³ of electricity
    "GZHTZ-0001,2024-01,电力,85.64,万千瓦时,fuel",        # line 7: duplicate of line 2
    "",                                                   # line 8: blank, skipped but counted
    "GZHTZ-0002,2099-01,电力,120.5,万千瓦时,fuel",        # line 9: a future month
    "GZHTZ-0002,2024-02,electricity,1e15,kWh,fuel",       # line 10: 10¹⁵ kWh
    "GZHTZ-0002,2024-02,natural gas,56000,m3,feedstock",  # line 11: good
    "GZHTZ-0002,2024-02,diesel,3.2,t,",                   # line 12: good, purpose left empty
    "GZHTZ-0002,2024-02,heat,1,250,GJ,fuel",              # line 13: unquoted thousands separator
]


def _csv_text(rows: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)  # as Excel writes CSV
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# workbooks
# ---------------------------------------------------------------------------------------------------------------

def _reproducible(path: Path) -> None:
    """Give every zip entry and the document properties one fixed time, so a rebuild yields the same bytes."""
    stamp = dt.datetime(*STAMP).strftime("%Y-%m-%dT%H:%M:%SZ")
    with zipfile.ZipFile(path) as source:
        entries = [(info.filename, source.read(info.filename)) for info in source.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(created|modified)[^>]*>)[^<]*", rb"\g<1>" + stamp.encode(), data)
            info = zipfile.ZipInfo(name, date_time=STAMP)
            info.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(info, data)


def _save(workbook: Workbook, path: Path) -> None:
    workbook.properties.creator = "GZHTZ energy statistics"
    workbook.save(path)
    _reproducible(path)


def consumption_workbook() -> Workbook:
    """Chinese headers in row 4 under two title rows and a blank row; a blank row inside the data (row 8)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "能源消费"
    sheet["A1"] = "广州高新区重点用能单位月度能源消费报表"
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = "填报单位：广州华腾新材料有限公司（盖章）"
    sheet.append([])
    sheet.append(["企业编号", "统计期", "能源品种", "消费量", "计量单位", "用途", "可再生", "填报日期"])
    rows = [
        ["GZHTZ-0004", "2024-01", "电力", 85.64, "万千瓦时", "燃料", "否", dt.date(2024, 2, 5)],
        ["GZHTZ-0004", "2024-01", "天然气", 12.45, "万立方米", "燃料", "否", dt.date(2024, 2, 5)],
        ["GZHTZ-0004", dt.datetime(2024, 2, 1), "电力", 79.82, "万千瓦时", "燃料", "否", dt.date(2024, 3, 4)],
        None,
        ["GZHTZ-0004", "2024-02", "光伏发电", 6.15, "万千瓦时", "燃料", "是", dt.date(2024, 3, 4)],
        ["GZHTZ-0004", "2024-02", "柴油", 3, "吨", "燃料", "否", dt.date(2024, 3, 4)],
    ]
    for values in rows:
        sheet.append(values if values is not None else [])
    sheet["B7"].number_format = "yyyy-mm"  # a month typed into Excel becomes the date 2024-02-01
    for row in sheet.iter_rows(min_row=5, min_col=8, max_col=8):
        row[0].number_format = "yyyy-mm-dd"
    return workbook


# Energy lines of form 205-1: name, unit, code, opening stock, purchase (quantity, value [千元]),
# consumption (total, industrial production, of which raw material, non-industrial, of which transport),
# closing stock, coefficient used and reference coefficient [tce per unit of the line].
FORM_LINES: list[tuple[str, str, str, list[str | None]]] = [
    ("原煤", "吨", "01", ["420", "1500", "1275", "1600", "1600", None, None, None, "320", "0.7143", "0.7143"]),
    ("天然气", "万立方米", "15", [None, "12.45", "398.4", "12.45", "12.45", "3.6", None, None, None, "13.3", "13.3"]),
    ("柴油", "吨", "18", ["1.5", "3", "24.6", "3.2", "1.1", None, "2.1", "2.1", "1.3", "1.4571", "1.4571"]),
    ("热力", "百万千焦", "33", [None, "1850", "92.5", "1850", "1850", None, None, None, None, "0.03412", "0.03412"]),
    ("电力", "万千瓦时", "34", [None, "85.64", "616.6", "85.64", "83.1", None, "2.54", None, None, "1.229", "1.229"]),
]


def _form_total() -> str:
    """The 能源合计 line: consumption in tce, Σ quantity × coefficient used (column 4 × column 10)."""
    total = sum(Decimal(values[3]) * Decimal(values[9]) for _, _, _, values in FORM_LINES if values[3])
    return f"{total:.2f}"


CREDIT_CODE = "91440101MA9W4K2X7B"  # fictitious, 18 characters as a 统一社会信用代码
FORM_HEADER_TOP = ["能源名称", "计量单位", "代码", "年初库存量", "购进量", None, "消费量", None, None, None, None,
                   "期末库存量", "采用折标系数", "参考折标系数"]
FORM_HEADER_SUB = [None, None, None, None, "实物量", "金额（千元）", "合计", "其中：工业生产消费",
                   "其中：用作原材料", "非工业生产消费", "合计中：运输工具消费", None, None, None]
FIRST_ENERGY_ROW = 9  # row of 原煤, below the title rows, the two header rows and the column numbers
FORM_NUMBERS = ["甲", "乙", "丙", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "丁"]


def form_grid(period: str, *, boxed_code: bool) -> list[list[str | None]]:
    """The cells of form 205-1, row by row (row 1 first), as a CSV export of the workbook would hold them."""
    # The template prints one box per character of the code; a filled-in workbook often has it in one cell.
    code: list[str | None] = (["统一社会信用代码", *CREDIT_CODE] if boxed_code
                              else [f"统一社会信用代码：{CREDIT_CODE}", *[None] * 9])
    grid: list[list[str | None]] = [
        ["工业企业能源购进、消费与库存"],
        [*code, "表    号：", "205-1表"],
        ["单位详细名称：广州华腾新材料有限公司", None, None, None, None, None, None, None, None, None,
         "制定机关：", "国家统计局"],
        [None, None, None, None, period, None, None, None, None, None, "有效期至：", "2026年2月"],
        [],
        FORM_HEADER_TOP,
        FORM_HEADER_SUB,
        FORM_NUMBERS,
    ]
    for name, unit, code, values in FORM_LINES:
        grid.append([name, unit, code, *values])
    grid.append([])
    grid.append(["能源合计", "吨标准煤", "40", None, None, "1407.1", _form_total(), None, None, None, None, None,
                 None, None])
    grid.append([])
    grid.append(["单位负责人：李明", None, None, "统计负责人：王芳", None, None, "填表人：陈晓", None, None,
                 "联系电话：020-8000XXXX", None, "报出日期：2024年4月8日"])
    return grid


def form_workbook(period: str) -> Workbook:
    """Form 205-1 as the statistics office's Excel template lays it out (merged title and header cells)."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "205-1"
    for number, values in enumerate(form_grid(period, boxed_code=False), start=1):
        if number >= FIRST_ENERGY_ROW:  # quantities and coefficients are numbers in Excel; the code stays text
            values = [v if column < 3 else _number(v) for column, v in enumerate(values)]
        sheet.append(values)
    sheet.merge_cells("A1:N1")
    sheet["A1"].font = Font(bold=True, size=16)
    sheet["A1"].alignment = Alignment(horizontal="center")
    for column in "ABCDLMN":  # single columns: merged over the two header rows
        sheet.merge_cells(f"{column}6:{column}7")
    sheet.merge_cells("E6:F6")
    sheet.merge_cells("G6:K6")
    return workbook


def _number(value: str | None) -> float | int | str | None:
    """A numeric cell as Excel stores it (int or float)."""
    if value is None or not re.fullmatch(r"-?\d+(\.\d+)?", value):
        return value
    number = float(value)
    return int(number) if number.is_integer() else number


def _form_csv(period: str) -> str:
    return _csv_text([[v or "" for v in row] for row in form_grid(period, boxed_code=True)])


# ---------------------------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------------------------

JSON_BODY = {
    "enterprise_id": "GZHTZ-0005",
    "records": [
        {"period": "2024-03", "carrier": "电力", "quantity": 412000, "unit": "kWh", "purpose": "fuel"},
        {"period": "2024-03", "carrier": "天然气", "quantity": 3.6, "unit": "万立方米", "purpose": "feedstock"},
        {"enterprise_id": "GZHTZ-0007", "period": "2024-03", "carrier": "electricity", "quantity": 98000,
         "unit": "kWh", "renewable": True},
        {"统计期": "2024-03", "能源品种": "柴油", "消费量": "1.25", "计量单位": "吨", "备注": "叉车"},
    ],
}


# ---------------------------------------------------------------------------------------------------------------

def build(folder: Path = HERE) -> list[Path]:
    """Write every sample into ``folder``; returns the paths written."""
    written: dict[str, bytes | str] = {
        "consumption_utf8.csv": _csv_text(UTF8_ROWS),
        "consumption_utf8_bom.csv": "\ufeff" + _csv_text(CHINESE_ROWS),
        "consumption_gbk.csv": _csv_text(GBK_ROWS).encode("gbk"),
        "consumption.json": json.dumps(JSON_BODY, ensure_ascii=False, indent=2) + "\n",
        "form205_2024-03_gbk.csv": _form_csv("2024年3月").encode("gbk"),
        "form205_2024Q1.csv": _form_csv("2024年1-3月"),
        "mixed_bad_values.csv": "\n".join(MIXED_LINES) + "\n",
        "empty.csv": b"",
        "header_only.csv": "企业编号,统计期,能源品种,消费量,计量单位\r\n",
        "utf16.csv": _csv_text(CHINESE_ROWS).encode("utf-16"),  # with BOM, as Excel's "Unicode text"
        "no_known_columns.csv": "名称,金额,备注\r\n办公用品,1200,3月采购\r\n打印纸,350,\r\n",
    }
    paths = []
    for name, content in written.items():
        path = folder / name
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8", newline="")
        else:
            path.write_bytes(content)
        paths.append(path)
    _save(consumption_workbook(), folder / "consumption.xlsx")
    _save(form_workbook("2024年3月"), folder / "form205_2024-03.xlsx")
    whole = (folder / "consumption.xlsx").read_bytes()
    (folder / "truncated.xlsx").write_bytes(whole[: len(whole) // 2])  # an upload cut in half
    paths += [folder / "consumption.xlsx", folder / "form205_2024-03.xlsx", folder / "truncated.xlsx"]
    return paths


if __name__ == "__main__":
    for written_path in build():
        print(written_path.relative_to(HERE.parent.parent))
