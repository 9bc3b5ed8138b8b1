"""What an enterprise fills in: the carrier catalogue with the units of the statistics forms, and templates.

Templates come in the layouts the readers take back unchanged: the consumption table (CSV/XLSX, the export's
headers) and the statistics form 205-1 (工业企业能源购进、消费与库存) as XLSX, one line per energy carrier.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

from carbon.carriers import CARRIERS, get_carrier
from carbon.reports.exports import CONSUMPTION_HEADERS, purpose_zh

__all__ = ["carrier_catalogue", "consumption_template", "form205_template"]

# Units of the statistics forms per unit of publication (the first is the form's own), all readable by the readers.
FORM_UNITS: dict[str, tuple[str, ...]] = {
    "kWh": ("万千瓦时", "千瓦时"), "t": ("吨", "万吨"), "m3": ("万立方米", "立方米"), "GJ": ("百万千焦", "吉焦"),
}
_TEMPLATE_COLUMNS = ("enterprise_id", "period", "carrier_zh", "unit", "quantity", "purpose_zh")
_DEFAULT_CARRIERS = ("electricity", "natural_gas", "diesel", "heat", "steam")


def carrier_catalogue() -> list[dict[str, Any]]:
    """Every carrier: id, Chinese and English names, kind, and the units a form may use (the form's first)."""
    return [{"id": c.id, "name_zh": c.name_zh, "name_en": c.name_en, "kind": c.kind, "unit": c.unit,
             "units": list(FORM_UNITS.get(c.unit, (c.unit,)))} for c in CARRIERS]


def consumption_template(enterprise_id: str, period: str, carriers: Iterable[str] = ()) -> pd.DataFrame:
    """One row per carrier for ``period`` with the quantity left blank, under the consumption export's headers."""
    ids = list(dict.fromkeys(carriers)) or list(_DEFAULT_CARRIERS)
    rows = [{"enterprise_id": enterprise_id, "period": period, "carrier_zh": get_carrier(c).name_zh,
             "unit": FORM_UNITS.get(get_carrier(c).unit, (get_carrier(c).unit,))[0], "quantity": None,
             "purpose_zh": purpose_zh(c, "fuel")} for c in ids]
    return pd.DataFrame(rows, columns=list(_TEMPLATE_COLUMNS)).rename(columns=CONSUMPTION_HEADERS)


FORM_HEADER_TOP = ("能源名称", "计量单位", "代码", "年初库存量", "购进量", None, "消费量", None, None, None, None,
                   "期末库存量", "采用折标系数", "参考折标系数")
FORM_HEADER_SUB = (None, None, None, None, "实物量", "金额（千元）", "合计", "其中：工业生产消费", "其中：用作原材料",
                   "非工业生产消费", "合计中：运输工具消费", None, None, None)
FORM_NUMBERS = ("甲", "乙", "丙", "1", "2", "3", "4", "5", "6", "7", "8", "9", "10", "丁")


def form205_template(enterprise: Mapping[str, Any], period: str, carriers: Sequence[str] = ()) -> bytes:
    """Form 205-1 for one month as XLSX: the title rows filled in, one empty line per carrier.

    Column 4 (消费量 合计) is the month's consumption; column 6 (用作原材料) the part used as feedstock.
    """
    from openpyxl import Workbook  # only needed here
    from openpyxl.styles import Alignment, Font

    year, month = int(period[:4]), int(period[5:7])
    book = Workbook()
    sheet = book.active
    sheet.title = "205-1"
    sheet.append(["工业企业能源购进、消费与库存"])
    sheet.append([f"统一社会信用代码：{enterprise.get('credit_code') or ''}", *[None] * 9, "表    号：", "205-1表"])
    sheet.append([f"单位详细名称：{enterprise.get('name') or enterprise.get('id')}", *[None] * 9, "制定机关：",
                  "国家统计局"])
    sheet.append([None, None, None, None, f"{year}年{month}月"])
    sheet.append([])
    for row in (FORM_HEADER_TOP, FORM_HEADER_SUB, FORM_NUMBERS):
        sheet.append(list(row))
    for carrier_id in list(dict.fromkeys(carriers)) or list(_DEFAULT_CARRIERS):
        carrier = get_carrier(carrier_id)
        sheet.append([carrier.name_zh, FORM_UNITS.get(carrier.unit, (carrier.unit,))[0]])
    sheet.append([])
    sheet.append(["单位负责人：", None, None, "统计负责人：", None, None, "填表人：", None, None, "联系电话：", None,
                  "报出日期："])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="left")
    for column, width in zip("ABCDEFGHIJKLMN", (16, 10, 6, 10, 10, 12, 10, 16, 16, 14, 18, 10, 12, 12),
                             strict=True):
        sheet.column_dimensions[column].width = width
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
