"""The region report as a printable Word document (DOCX): the summary and the table by year, as published.

Built from the same published tables as the CSV and XLSX exports (:func:`carbon.reports.statistics_layout`), so
the three never disagree.
"""

from __future__ import annotations

import io
from collections.abc import Mapping

import pandas as pd

__all__ = ["PRINTED_COLUMNS", "report_docx"]

# The columns of the by-year table that fit an A4 page in landscape.
PRINTED_COLUMNS = (
    "年份", "能源消费总量(吨标准煤)", "地区生产总值(万元,可比价)", "单位GDP能耗(吨标准煤/万元)",
    "调整后单位GDP能耗(吨标准煤/万元)", "调整后能耗强度比上年增减(%)", "目标路径(吨标准煤/万元)", "是否达到目标路径",
    "二氧化碳排放量(吨)", "单位GDP二氧化碳排放(吨/万元)",
)


def _cell(value: object, *, year: bool = False) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    if isinstance(value, int) and not isinstance(value, bool) and not year:
        return f"{value:,}"
    return str(value)


def _add_table(document: object, frame: pd.DataFrame) -> None:
    table = document.add_table(rows=1, cols=len(frame.columns))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
    years = ["年份" in str(name) for name in frame.columns]
    for row in frame.itertuples(index=False):
        for cell, value, year in zip(table.add_row().cells, row, years, strict=True):
            cell.text = _cell(value.item() if hasattr(value, "item") else value, year=year)


def report_docx(published: Mapping[str, pd.DataFrame], *, region_name: str, region_code: str,
                generated_at: str) -> bytes:
    """The report as DOCX bytes: title, the summary (指标, 数值), the table by year, the decomposition."""
    from docx import Document  # only the printable export needs it
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.styles["Normal"].font.size = Pt(9)
    document.add_heading(f"{region_name}能耗强度与碳排放报告", level=0)
    document.add_paragraph(f"区域代码 {region_code} · 生成时间 {generated_at} · 单位见各列标题")
    document.add_heading("一、摘要", level=1)
    _add_table(document, published["摘要"])
    document.add_heading("二、分年度指标", level=1)
    by_year = published["分年度指标"]
    _add_table(document, by_year[[c for c in PRINTED_COLUMNS if c in by_year]])
    if len(published.get("排放变化分解", pd.DataFrame())):
        document.add_heading("三、二氧化碳排放变化因素分解（LMDI）", level=1)
        _add_table(document, published["排放变化分解"])
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
