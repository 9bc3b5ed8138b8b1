"""Exports as CSV and XLSX, in the column layout of the statistics forms where one applies.

An enterprise's consumption is exported with the headers of the energy statistics form (企业编号, 统计期, 能源品种,
计量单位, 消费量, 用途 …), so the file can be read back by ``carbon ingest`` unchanged; region reports are exported
as their tables by year.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from typing import Any

import pandas as pd

from carbon.carriers import get_carrier
from carbon.reports.cache import database_key
from carbon.store import Scope, Store

__all__ = [
    "CONSUMPTION_HEADERS", "FORMULA_STARTS", "consumption_frame", "consumption_records", "consumption_version",
    "neutralise_formulas", "purpose_zh", "region_report_frames", "to_csv_bytes", "to_xlsx_bytes",
]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""Leading characters that make a spreadsheet read a text cell as a formula (OWASP, CSV injection)."""

# Stored column → form header. The first six are what the readers map back (VARIABLE_MAP).
CONSUMPTION_HEADERS: dict[str, str] = {
    "enterprise_id": "企业编号", "period": "统计期", "carrier_zh": "能源品种", "unit": "计量单位", "quantity": "消费量",
    "purpose_zh": "用途", "ncv": "实测低位发热量", "ncv_unit": "发热量单位", "tce_equivalent": "折标准煤(当量值,吨)",
    "tce_equal": "折标准煤(等价值,吨)", "co2_t": "二氧化碳排放量(吨)", "energy_gj": "热量(吉焦)",
    "tce_factor": "折标系数", "co2_factor": "排放因子", "factor_version": "因子版本", "revision": "修订次数",
    "submitted_at": "报送日期",
}
_PURPOSE_ZH = {"fuel": "燃料", "feedstock": "原料用能"}
_ROUNDED = ("tce_equivalent", "tce_equal", "co2_t", "energy_gj")
_STORED_EXPORTED = (*(name for name in CONSUMPTION_HEADERS if not name.endswith("_zh")), "carrier", "purpose")


def consumption_records(store: Store, scope: Scope, enterprise_id: str, *, start: str | None = None,
                        end: str | None = None) -> list[dict[str, Any]]:
    """An enterprise's stored consumption with the form's headers, one record per month, carrier and purpose
    (plain Python values: built without a frame, as most reads are a few hundred rows)."""
    rows = store.consumption_records(scope, enterprise_id=enterprise_id, start=start, end=end,
                                     columns=_STORED_EXPORTED)
    names: dict[str, str] = {}  # once per carrier and use, not per row
    uses: dict[tuple[str, str], str] = {}
    records = []
    for row in rows:
        carrier, purpose = row["carrier"], row["purpose"]
        if carrier not in names:
            names[carrier] = get_carrier(carrier).name_zh
        if (carrier, purpose) not in uses:
            uses[carrier, purpose] = purpose_zh(carrier, purpose)
        row["carrier_zh"], row["purpose_zh"] = names[carrier], uses[carrier, purpose]
        for name in _ROUNDED:  # to the precision they carry (no binary tails such as 148.09449999999998)
            if row[name] is not None:
                row[name] = round(row[name], 4)
        records.append({header: row[name] for name, header in CONSUMPTION_HEADERS.items()})
    return records


def consumption_frame(store: Store, scope: Scope, enterprise_id: str, *, start: str | None = None,
                      end: str | None = None) -> pd.DataFrame:
    """An enterprise's stored consumption with the form's headers, one row per month, carrier and purpose."""
    return pd.DataFrame(consumption_records(store, scope, enterprise_id, start=start, end=end),
                        columns=list(CONSUMPTION_HEADERS.values()))


def consumption_version(store: Store, enterprise_id: str) -> tuple[Any, ...] | None:
    """A key that changes whenever the enterprise's stored consumption may have changed, so that a read of it can
    be reused until then — however many other enterprises write meanwhile; None for an in-memory database.

    Within one data version (which moves on re-conversions and rebuilds) a batch either adds rows or revises
    them, and so changes the count of the enterprise's rows or the sum of their revisions.
    """
    database = database_key(store)
    if database is None:
        return None
    return database, store.data_version(), enterprise_id, *store.enterprise_rows_version(enterprise_id)


def purpose_zh(carrier: str, purpose: str) -> str:
    """The form's word for a row's use: 原料用能 (feedstock), 燃料 (a fuel burned), 能源 (electricity, heat, steam)."""
    if purpose == "feedstock":
        return _PURPOSE_ZH["feedstock"]
    return _PURPOSE_ZH["fuel"] if get_carrier(carrier).kind == "fossil" else "能源"


def region_report_frames(intensity: Mapping[str, Any], carbon: Mapping[str, Any]) -> dict[str, pd.DataFrame]:
    """The region report as tables: by year (intensity and CO2 side by side), and a summary."""
    years = pd.DataFrame(intensity["years"])
    co2 = pd.DataFrame(carbon["years"])
    if len(co2):
        co2 = co2[["year", "co2_t", "source", "co2_per_gdp", "co2_per_tce"]].rename(columns={"source": "co2_source"})
        years = years.merge(co2, on="year", how="left")
    summary_keys = ("required_annual_change_pct", "projected_target_value", "projected_on_track",
                    "trend_annual_change_pct", "energy_budget_tce", "budget_year", "latest_year")
    summary = [{"item": key, "value": intensity.get(key)} for key in summary_keys]
    summary += [{"item": f"target_{key}", "value": value} for key, value in (intensity["target"] or {}).items()]
    summary += [{"item": f"peak_{key}", "value": carbon["peak"].get(key)}
                for key in ("status", "peak_year", "projected_peak_year", "aim_year", "meets_aim", "rule")]
    decomposition = pd.DataFrame(carbon.get("decomposition") or [])
    return {"by_year": years, "summary": pd.DataFrame(summary), "decomposition": decomposition}


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Text cells that a spreadsheet would evaluate, quoted as text with a leading ``'``; numbers stay numbers.

    References
    ----------
    OWASP, CSV Injection: prefix cells that begin with ``=``, ``+``, ``-``, ``@``, tab or carriage return.
    """
    out = frame.copy()
    for column in out.select_dtypes(include=["object", "string"]).columns:
        values = out[column]
        text = values.where(values.map(lambda value: isinstance(value, str)), "").astype(str)
        risky = text.str.startswith(FORMULA_STARTS)
        if risky.any():
            out[column] = values.mask(risky, "'" + text)
    return out


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV in UTF-8 with a byte-order mark, so that spreadsheet programs show the Chinese headers right.

    Text that a spreadsheet would evaluate as a formula is quoted (:func:`neutralise_formulas`).
    """
    # CRLF ends records (RFC 4180), so that a field holding a carriage return is quoted too
    return neutralise_formulas(frame).to_csv(index=False, lineterminator="\r\n").encode("utf-8-sig")


def to_xlsx_bytes(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """An XLSX workbook with one sheet per frame; every text cell is a string cell, never a formula."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            frame.to_excel(writer, sheet_name=name[:31], index=False)
        for sheet in writer.book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.data_type == "f":  # openpyxl reads any text starting with "=" as a formula
                        cell.data_type = "s"
    return buffer.getvalue()
