"""The national statistics form 205-1 (工业企业能源购进、消费与库存), as XLSX or CSV.

The form is no table with one header row: title rows give the enterprise and the report month, a header of
stacked rows (merged group labels over sub-columns) heads one line per energy type, and a footer follows.
The reader finds the columns it needs by the keywords of the header and turns each energy line into a ``fuel``
record (total consumption minus the part used as raw material) and, where that part is above zero, a
``feedstock`` record.

References
----------
.. [1] 国家统计局, 能源统计报表制度: 工业企业能源购进、消费与库存 (205-1表). Columns 甲 能源名称, 乙 计量单位,
   丙 代码, 1 年初库存量, 2–3 购进量 (实物量, 金额), 4 消费量合计, 5 工业生产消费, 6 其中用作原材料,
   7 非工业生产消费, 8 合计中运输工具消费, 9 期末库存量, 10 采用折标系数; one line per energy type and a
   能源合计 line in tce.
.. [2] 国家发展改革委 发改环资〔2022〕803号: feedstock energy use (原料用能) is deducted from total consumption,
   hence the separate ``feedstock`` records read from column 6 of form 205-1.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import numpy as np
import pandas as pd

from carbon.ingest.readers.columns import (
    HEADER_SEARCH_ROWS,
    TRAILING_BRACKET,
    UnreadableFile,
    canonical_frame,
    cell_text,
    present,
    source_name,
)
from carbon.ingest.readers.csvfile import csv_cells
from carbon.ingest.readers.xlsx import is_zip, open_workbook, sheet_rows, workbook_errors
from carbon.text import fold

__all__ = ["looks_like_form", "read_form205"]

_FORM_TITLE = "能源购进消费与库存"  # 工业企业能源购进、消费与库存, punctuation removed
_CODE_LABELS = ("统一社会信用代码", "组织机构代码", "单位代码")  # in order of preference
_NAME_LABELS = ("单位详细名称", "单位名称", "企业名称")
_PERIOD_EXCLUDED = ("有效期", "日期", "文号", "国统字", "批准", "制定")
_TOTAL_LINES = ("能源合计", "合计", "总计", "综合能源消费量", "能源消费总量")
_EMPTY_MARKS = {"—", "-", "－", "–", "/", "／", "——", "--"}  # how forms mark "none"
_MONTH = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月")
_MONTH_RANGE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月?\s*[-－—–~～至到]\s*(\d{1,2})\s*月")
_MULTI_MONTH = ("季度", "半年", "全年", "年度", "累计")
_YEAR = re.compile(r"\d{4}\s*年")


def _squash(text: object) -> str:
    """Fold and drop punctuation: '工业企业能源购进、消费与库存' → '工业企业能源购进消费与库存'."""
    return re.sub(r"[\W_]+", "", fold(text))


def _is_label(text: str) -> bool:
    return any(mark in text for mark in ("：", ":")) or any(
        label in text for label in (*_CODE_LABELS, *_NAME_LABELS, "报告期"))


def _labelled_value(rows: Sequence[Sequence[object]], labels: Sequence[str]) -> str | None:
    """The value written after the first of ``labels`` in the title rows.

    The value may follow a colon in the label's cell (``统一社会信用代码：9144…``), or fill the next cells of
    its row — one character a cell where the form prints boxes for the code.
    """
    for label in labels:
        for cells in rows:
            texts = [str(c).strip() if present(c) else "" for c in cells]
            for position, text in enumerate(texts):
                if label not in fold(text):
                    continue
                after = re.split(r"[:：]", text, maxsplit=1)
                inline = after[1] if len(after) == 2 else ""
                inline = inline.replace("□", "").strip()
                if inline:
                    return inline
                parts: list[str] = []
                for following in texts[position + 1:]:
                    if following and _is_label(following):
                        break
                    parts.append(following.replace("□", ""))
                value = "".join(parts).strip()
                if value:
                    return value
    return None


def _form_period(rows: Sequence[Sequence[object]], source: str) -> str:
    """The report month of the title rows, as written; UnreadableFile for a multi-month or missing period."""
    def excluded(text: str) -> bool:
        return any(mark in text for mark in _PERIOD_EXCLUDED)

    candidates: list[str] = []
    for cells in rows:
        previous = ""
        for text in (str(c).strip() for c in cells if present(c)):
            # "有效期至：2026年2月" in one cell, or a label cell "有效期至：" and the date in the next one
            labelled = excluded(previous) and previous.endswith(("：", ":"))
            if _YEAR.search(text) and not excluded(text) and not labelled:
                candidates.append(text)
            previous = text
    candidates.sort(key=lambda t: "报告期" not in t)  # a labelled period first
    for text in candidates:
        span = _MONTH_RANGE.search(text)
        if (span and int(span.group(2)) != int(span.group(3))) or any(mark in text for mark in _MULTI_MONTH):
            raise UnreadableFile(
                f"{source}: report period {text!r} spans several months; only the monthly form 205-1 can be read. "
                "Upload the form of each month (报告期 such as 2024年3月)")
        month = _MONTH.search(text)
        if span:
            return span.group(0)
        if month:
            return month.group(0)
    raise UnreadableFile(f"{source}: no report month (报告期, e.g. 2024年3月) found in the title rows of form 205-1")


def _form_header(rows: Sequence[Sequence[object]]) -> tuple[int, int] | None:
    """Start and end (exclusive) of the form's header rows: the row naming 能源名称 and 消费量, plus the
    sub-header rows under it (their name cell is empty, as the name column is merged down)."""
    for index, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        texts = [_squash(c) for c in cells if present(c)]
        if any("能源名称" in t or t == "能源品种" for t in texts) and any("消费" in t for t in texts):
            name_at = next(i for i, c in enumerate(cells) if present(c) and (
                "能源名称" in _squash(c) or _squash(c) == "能源品种"))
            end = index + 1
            while end < len(rows):
                below = rows[end]
                name = below[name_at] if name_at < len(below) else None
                if present(name) or not any(present(c) for c in below):
                    break
                end += 1
            return index, end
    return None


def _column_texts(header: Sequence[Sequence[object]]) -> list[str]:
    """One folded text per column from stacked header rows; a merged group label is spread over its columns."""
    width = max((len(r) for r in header), default=0)
    grid = [[_squash(r[i]) if i < len(r) and present(r[i]) else "" for i in range(width)] for r in header]
    for level in range(len(grid) - 1):
        current = ""
        for column in range(width):
            if grid[level][column]:
                current = grid[level][column]
            elif current and any(grid[lower][column] for lower in range(level + 1, len(grid))):
                grid[level][column] = current  # under a merged cell: the label of its group
            else:
                current = ""
    return ["".join(grid[level][column] for level in range(len(grid))) for column in range(width)]


def _form_columns(texts: Sequence[str]) -> dict[str, int]:
    """Positions of the columns the reader needs, found by keywords of the 205-1 header."""
    found: dict[str, int] = {}
    parts = ("原材料", "原料", "运输", "非工业", "工业生产")
    for position, text in enumerate(texts):
        if "name" not in found and ("能源名称" in text or text in {"能源品种", "品种", "名称"}):
            found["name"] = position
        elif "unit" not in found and ("计量单位" in text or text == "单位"):
            found["unit"] = position
        elif "total" not in found and "消费" in text and not any(p in text for p in parts) and (
                "合计" in text or text.endswith("消费量")):
            found["total"] = position
        elif "raw" not in found and ("原材料" in text or "原料" in text):
            found["raw"] = position
    return found


def _number(value: object) -> Decimal | None:
    """A form cell as an exact decimal, or None when it is not a number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(repr(value)) if np.isfinite(value) else None
    text = str(value).strip()
    if re.fullmatch(r"[-+]?\d{1,3}(,\d{3})+(\.\d+)?", text):
        text = text.replace(",", "")  # thousands separators, as Excel displays large numbers
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def _is_total_line(name: str) -> bool:
    folded = _squash(TRAILING_BRACKET.sub("", fold(name)))
    return folded in _TOTAL_LINES or folded.endswith(("合计", "总计"))


def _form_records(rows: Sequence[Sequence[object]], numbers: Sequence[int], columns: Mapping[str, int],
                  ) -> tuple[list[int], list[object], list[object], list[object], list[str]]:
    """Energy lines → (row, carrier, unit, quantity, purpose), two records where part was used as raw material."""
    out_rows: list[int] = []
    carriers: list[object] = []
    units: list[object] = []
    quantities: list[object] = []
    purposes: list[str] = []

    def cell(cells: Sequence[object], key: str) -> object:
        position = columns.get(key)
        if position is None or position >= len(cells):
            return None
        value = cells[position]
        if isinstance(value, str):
            value = value.strip()
            return None if value == "" or value in _EMPTY_MARKS else value
        return value

    def emit(number: int, name: object, unit: object, quantity: object, purpose: str) -> None:
        out_rows.append(number)
        carriers.append(cell_text(name))
        units.append(cell_text(unit))
        quantities.append(quantity)
        purposes.append(purpose)

    for number, cells in zip(numbers, rows, strict=True):
        name = cell(cells, "name")
        if not present(name) or str(name).strip() == "甲":  # blank line, or the column-number row 甲 乙 丙 1 2 …
            continue
        name = str(name).strip()
        if _squash(name).startswith("其中") or _is_total_line(name):  # parts of the line above, and totals
            continue
        if any(mark in name for mark in ("：", ":")):  # 单位负责人：… 填表人：… or 说明： — the footer
            break
        unit, total, raw = cell(cells, "unit"), cell(cells, "total"), cell(cells, "raw")
        if total is None and raw is None:
            continue  # an energy type printed on the form but not consumed, or a footer line
        total_n = _number(total)
        raw_n = _number(raw) if raw is not None else Decimal(0)
        if total_n is not None and raw_n is not None:
            emit(number, name, unit, float(total_n - raw_n), "fuel")
            if raw_n > 0:
                emit(number, name, unit, float(raw_n), "feedstock")
            continue
        # Not both numbers: hand over what was written, so the validator rejects it with this row.
        emit(number, name, unit, cell_text(total), "fuel")
        if raw_n is None or raw_n > 0:
            emit(number, name, unit, cell_text(raw), "feedstock")
    return out_rows, carriers, units, quantities, purposes


def _parse_form205(rows: Sequence[Sequence[object]], numbers: Sequence[int], *, source: str,
                   enterprise_id: str | None) -> pd.DataFrame:
    """The canonical frame of a form 205-1 given as a grid of cells and their row numbers."""
    bounds = _form_header(rows)
    if bounds is None:
        raise UnreadableFile(f"{source}: no form 205-1 header row (能源名称 … 消费量) in the first "
                             f"{HEADER_SEARCH_ROWS} rows")
    start, end = bounds
    texts = _column_texts(rows[start:end])
    columns = _form_columns(texts)
    missing = [label for key, label in (("name", "能源名称"), ("unit", "计量单位"), ("total", "消费量合计"))
               if key not in columns]
    if missing:
        found = ", ".join(t for t in texts if t) or "none"
        raise UnreadableFile(f"{source}: form 205-1 columns not found: {', '.join(missing)} (header: {found})")
    title = rows[:start]
    period = _form_period(title, source)
    code = _labelled_value(title, _CODE_LABELS)
    enterprise_name = _labelled_value(title, _NAME_LABELS)

    out_rows, carriers, units, quantities, purposes = _form_records(rows[end:], numbers[end:], columns)
    n = len(out_rows)
    frame_columns: dict[str, Any] = {
        "period": pd.Series([period] * n, dtype="str"),
        "carrier": pd.Series(carriers, dtype="str"),
        "quantity": pd.Series(quantities, dtype="object").map(
            lambda v: v if v is None or isinstance(v, str) else cell_text(v)).astype("str"),
        "unit": pd.Series(units, dtype="str"),
        "purpose": pd.Series(purposes, dtype="str"),
    }
    owner = enterprise_id if enterprise_id is not None else code
    if owner is not None:
        frame_columns["enterprise_id"] = pd.Series([owner] * n, dtype="str")
    attrs = {"source_format": "form205", "period": period, "enterprise_code": code,
             "enterprise_name": enterprise_name}
    return canonical_frame(frame_columns, np.asarray(out_rows, dtype=np.int64), attrs)



def _form_cells(path: str | os.PathLike[str], sheet: str | None) -> tuple[list[tuple[Any, ...]], list[int]]:
    """All cells of the sheet holding the form (the given one, else the first with a form header), and
    their Excel row numbers."""
    name = source_name(path)
    with open_workbook(path) as workbook:
        if sheet is not None and sheet not in workbook.sheetnames:
            raise UnreadableFile(f"{name} has no sheet {sheet!r}; sheets: {', '.join(workbook.sheetnames)}")
        titles = [sheet] if sheet is not None else workbook.sheetnames
        with workbook_errors(name):
            for title in titles:
                rows = list(sheet_rows(workbook[title]))
                if sheet is not None or _form_header(rows) is not None:
                    return rows, list(range(1, len(rows) + 1))
    raise UnreadableFile(f"{name}: no form 205-1 header row (能源名称 … 消费量) in the first "
                         f"{HEADER_SEARCH_ROWS} rows of any sheet")



def read_form205(path: str | os.PathLike[str], *, enterprise_id: str | None = None,
                 sheet: str | None = None) -> Iterator[pd.DataFrame]:
    """Read the statistics form 205-1 (工业企业能源购进、消费与库存), as XLSX or CSV, onto the canonical columns.

    The title rows give the enterprise (统一社会信用代码, else 组织机构代码 or 单位代码) and the report month
    (报告期); the table below has one line per energy type. Each line yields a ``fuel`` record of
    total consumption minus the part used as raw material, and, when that part is above zero, a
    ``feedstock`` record of it. The subtraction is exact (decimal) and made only when both cells are numbers;
    otherwise the cells are handed over as written so the validator rejects the line with its row.

    Parameters
    ----------
    path : path
        The form as ``.xlsx`` or ``.csv``.
    enterprise_id : str, optional
        Used as ``enterprise_id`` instead of the code in the title rows (which stays in
        ``frame.attrs["enterprise_code"]``).
    sheet : str, optional
        Sheet of a workbook; by default the first that holds the form.

    Returns
    -------
    iterator of DataFrame
        One frame: ``row`` (Excel or CSV row of the energy line), ``enterprise_id``, ``period`` (as written,
        e.g. ``2024年3月``), ``carrier``, ``quantity`` [the line's unit], ``unit``, ``purpose``. Total lines
        (能源合计, 合计 …), ``其中`` sub-lines, blank lines and energy types with no consumption are skipped.
        ``frame.attrs`` holds ``period``, ``enterprise_code`` and ``enterprise_name`` from the title rows.

    Raises
    ------
    UnreadableFile
        A multi-month form (``2024年1-3月``), no report month, no form header, or a file that is not a
        complete workbook / readable text.

    References
    ----------
    .. [1] 国家统计局 能源统计报表制度, 205-1表 工业企业能源购进、消费与库存 (columns 4 消费量合计 and
       6 其中用作原材料).
    .. [2] 发改环资〔2022〕803号 (feedstock energy use deducted from total consumption).
    """
    name = source_name(path)
    rows, numbers = _form_cells(path, sheet) if is_zip(path) else csv_cells(path)
    return iter([_parse_form205(rows, numbers, source=name, enterprise_id=enterprise_id)])


def looks_like_form(rows: Sequence[Sequence[object]]) -> bool:
    """The 205-1 layout: its title, or a 能源名称 … 消费量 header with sub-columns below it."""
    if any(_FORM_TITLE in _squash(c) for cells in rows[:HEADER_SEARCH_ROWS] for c in cells if present(c)):
        return True
    bounds = _form_header(rows)
    return bounds is not None and bounds[1] - bounds[0] > 1


