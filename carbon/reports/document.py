"""Printable Word documents (DOCX): the region report and the assessment (考核) of a plan.

The region report is built from the same published tables as the CSV and XLSX exports
(:func:`carbon.reports.statistics_layout`), so the three never disagree; the assessment from the same report as
its JSON and XLSX answers (:func:`carbon.reports.plans.plan_assessment`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["ASSESSMENT_COLUMNS", "PRINTED_COLUMNS", "assessment_docx", "report_docx"]

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


# The columns of an indicator's table in the printed assessment, with the keys of its rows in the JSON answer.
ASSESSMENT_COLUMNS = {"年份": "year", "数值": "value", "目标路径值": "path", "是否达到目标路径": "achieved",
                      "数据状态": "status"}
_STATUS = {"measured": "实测 measured", "projected": "预测 projected", "no data": "无数据 no data"}


def _number(value: object) -> object:
    """A value as printed in the assessment: 4 decimals at most, no trailing zeros; other values unchanged."""
    if isinstance(value, float) and value == value:
        return f"{value:,.4f}".rstrip("0").rstrip(".")
    return value


def _add_table(document: object, frame: pd.DataFrame) -> None:
    table = document.add_table(rows=1, cols=len(frame.columns))  # type: ignore[attr-defined]
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, frame.columns, strict=True):
        cell.text = str(name)
    years = ["年份" in str(name) for name in frame.columns]
    for row in frame.itertuples(index=False):
        for cell, value, year in zip(table.add_row().cells, row, years, strict=True):
            cell.text = _cell(value.item() if hasattr(value, "item") else value, year=year)


def _landscape_document() -> Any:
    """An empty A4 document in landscape with the body in 9 pt, as both printed documents are."""
    from docx import Document  # only the printable exports need it
    from docx.enum.section import WD_ORIENT
    from docx.shared import Pt

    document = Document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.LANDSCAPE
    section.page_width, section.page_height = section.page_height, section.page_width
    document.styles["Normal"].font.size = Pt(9)
    return document


def _docx_bytes(document: Any) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def report_docx(published: Mapping[str, pd.DataFrame], *, region_name: str, region_code: str,
                generated_at: str) -> bytes:
    """The report as DOCX bytes: title, the summary (指标, 数值), the table by year, the decomposition."""
    document = _landscape_document()
    # a name stored before names were checked may hold characters that XML cannot
    region_name = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", region_name)
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
    return _docx_bytes(document)


def _indicator_frame(item: Mapping[str, Any]) -> pd.DataFrame:
    """One indicator's years in the printed layout: year, value, path value, achieved, status."""
    rows = []
    for row in item["years"]:
        achieved = row["achieved"]
        rows.append({"年份": row["year"], "数值": _number(row["value"]), "目标路径值": _number(row["path"]),
                     "是否达到目标路径": "—" if achieved is None else ("是" if achieved else "否"),
                     "数据状态": _STATUS.get(row["status"], row["status"])})
    return pd.DataFrame(rows, columns=list(ASSESSMENT_COLUMNS))


def assessment_docx(report: Mapping[str, Any], *, generated_at: str) -> bytes:
    """The assessment of a plan as DOCX bytes: per indicator its table by year and its result sentence; notes.

    Parameters
    ----------
    report : mapping
        As returned by :func:`carbon.reports.plans.plan_assessment`.
    generated_at : str
        When the document was made (ISO 8601), printed under the title.
    """
    document = _landscape_document()
    document.add_heading(f"{report['name']}规划目标考核（{report['plan']}）", level=0)
    document.add_paragraph(f"区域代码 {report['region']} · 规划 {report['plan']} · 生成时间 {generated_at}")
    for number, item in enumerate(report["indicators"], start=1):
        indicator = item["indicator"]
        binding = "约束性 binding" if indicator.get("binding") else "预期性 indicative"
        document.add_heading(f"{number}. {indicator['kind']}（{indicator['unit']}，{binding}，"
                             f"{indicator['base_year']}–{indicator['target_year']}）", level=1)
        _add_table(document, _indicator_frame(item))
        document.add_paragraph(f"考核结果 result: {item['result']['summary']}")
    if report.get("notes"):
        document.add_heading("说明 notes", level=1)
        for note in report["notes"]:
            document.add_paragraph(str(note), style="List Bullet")
    return _docx_bytes(document)
