"""Canonical columns: the header names of VARIABLE_MAP, matching after folding, the reader error."""

from __future__ import annotations

import pytest

from carbon.errors import CarbonError
from carbon.ingest.readers.columns import CANONICAL_COLUMNS, VARIABLE_MAP, UnreadableFile, canonical_name

BRIEF_NAMES = {
    "enterprise_id": ["企业编号", "企业代码", "单位代码", "统一社会信用代码", "enterprise", "enterprise id"],
    "period": ["统计期", "报告期", "期间", "月份", "年月", "period", "month"],
    "carrier": ["能源品种", "能源名称", "能源种类", "品种", "carrier", "energy type", "fuel"],
    "quantity": ["消费量", "实物量", "数量", "用量", "quantity", "amount", "consumption"],
    "unit": ["计量单位", "单位", "unit"],
    "purpose": ["用途", "purpose", "use"],
    "ncv": ["实测低位发热量", "低位发热量", "ncv"],
    "ncv_unit": ["发热量单位", "ncv unit"],
    "renewable": ["可再生", "renewable"],
    "submitted_at": ["报送日期", "填报日期", "submitted at", "submitted_at"],
}


@pytest.mark.parametrize(("header", "expected"),
                         [(h, c) for c, names in BRIEF_NAMES.items() for h in names])
def test_variable_map_covers_the_required_names(header: str, expected: str) -> None:
    assert canonical_name(header) == expected


def test_variable_map_targets_canonical_columns() -> None:
    assert set(VARIABLE_MAP.values()) == set(CANONICAL_COLUMNS) - {"row"}


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Enterprise ID", "enterprise_id"), ("ENTERPRISE_ID", "enterprise_id"), ("统 计 期", "period"),
     ("ＵＮＩＴ", "unit"), ("消费量（吨）", "quantity"), ("Quantity (kWh)", "quantity"), ("NCV_unit", "ncv_unit"),
     ("Submitted At", "submitted_at"), ("备注", None), ("单位名称", None), ("", None), (None, None)],
)
def test_headers_match_after_folding(header: str | None, expected: str | None) -> None:
    assert canonical_name(header) == expected


def test_unreadable_file_is_a_carbon_error_and_a_value_error() -> None:
    assert issubclass(UnreadableFile, CarbonError) and issubclass(UnreadableFile, ValueError)
