"""The region report in the layout a statistics bureau files: Chinese headers with units, values rounded as
published (intensity to 4 decimals, tce and t CO2 to whole tonnes, percentages to 2), GDP in 万元.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

__all__ = ["BY_YEAR_COLUMNS", "statistics_layout"]

# Report column → (published header, decimals); None keeps the value as it is (text, flags).
BY_YEAR_COLUMNS: dict[str, tuple[str, int | None]] = {
    "year": ("年份", 0),
    "energy_tce": ("能源消费总量(吨标准煤)", 0),
    "feedstock_deducted_tce": ("扣除原料用能(吨标准煤)", 0),
    "renewables_deducted_tce": ("扣除新增可再生能源(吨标准煤)", 0),
    "energy_adjusted_tce": ("调整后能源消费量(吨标准煤)", 0),
    "gdp_current": ("地区生产总值(万元,当年价)", 0),
    "gdp_constant": ("地区生产总值(万元,可比价)", 0),
    "intensity": ("单位GDP能耗(吨标准煤/万元)", 4),
    "intensity_adjusted": ("调整后单位GDP能耗(吨标准煤/万元)", 4),
    "change_pct_raw": ("能耗强度比上年增减(%)", 2),
    "change_pct": ("调整后能耗强度比上年增减(%)", 2),
    "cumulative_change_pct": ("调整后能耗强度比基期累计增减(%)", 2),
    "target_path": ("目标路径(吨标准煤/万元)", 4),
    "on_track": ("是否达到目标路径", None),
    "co2_t": ("二氧化碳排放量(吨)", 0),
    "co2_per_gdp": ("单位GDP二氧化碳排放(吨/万元)", 4),
    "co2_per_tce": ("单位能耗二氧化碳排放(吨/吨标准煤)", 4),
    "bottom_up_tce": ("重点企业汇总能耗(吨标准煤)", 0),
    "coverage_pct": ("企业汇总覆盖率(%)", 2),
    "enterprises": ("报送企业数(家)", 0),
    "energy_source": ("能耗数据来源", None),
    "co2_source": ("排放数据来源", None),
}
_SUMMARY = {
    "latest_year": ("最新年份", 0), "required_annual_change_pct": ("完成目标仍需年均变化(%)", 2),
    "projected_target_value": ("目标年预计能耗强度(吨标准煤/万元)", 4), "projected_on_track": ("预计能否达标", None),
    "trend_annual_change_pct": ("近期年均变化趋势(%)", 2), "budget_year": ("能耗预算年份", 0),
    "energy_budget_tce": ("能耗预算(吨标准煤)", 0), "target_base_year": ("基期年份", 0),
    "target_base_value": ("基期能耗强度(吨标准煤/万元)", 4), "target_target_year": ("目标年份", 0),
    "target_target_value": ("目标能耗强度(吨标准煤/万元)", 4), "target_total_change_pct": ("目标累计变化(%)", 2),
    "target_annual_change_pct": ("规划年均变化(%)", 2), "peak_status": ("碳达峰状态", None),
    "peak_peak_year": ("峰值候选年份", 0), "peak_projected_peak_year": ("预计达峰年份", 0),
    "peak_aim_year": ("达峰目标年份", 0), "peak_meets_aim": ("能否如期达峰", None),
}
_DECOMPOSITION = {
    "from_year": ("起始年份", 0), "year": ("年份", 0), "delta_co2": ("二氧化碳排放变化(吨)", 0),
    "gdp_effect": ("经济规模效应(吨)", 0), "energy_intensity_effect": ("能耗强度效应(吨)", 0),
    "carbon_intensity_effect": ("碳强度效应(吨)", 0),
}
_PEAK_STATUS = {"insufficient_data": "数据不足", "pre_peak": "未达峰", "plateau": "平台期",
                "peaked_provisional": "初步达峰", "peaked_confirmed": "确认达峰"}


def _published(value: Any, decimals: int | None) -> Any:
    """A value rounded as published; flags as 是/否; missing as empty."""
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, bool):
        return "是" if value else "否"
    if decimals is None or not isinstance(value, int | float):
        return _PEAK_STATUS.get(value, value) if isinstance(value, str) else value
    return round(value) if decimals == 0 else round(float(value), decimals)


def _table(frame: pd.DataFrame, columns: Mapping[str, tuple[str, int | None]]) -> pd.DataFrame:
    present = [name for name in columns if name in frame]
    out = pd.DataFrame({columns[name][0]: [_published(v, columns[name][1]) for v in frame[name].tolist()]
                        for name in present}, columns=[columns[name][0] for name in present])
    for name in present:  # whole numbers stay whole in CSV and XLSX (no trailing .0)
        if columns[name][1] == 0:
            out[columns[name][0]] = out[columns[name][0]].astype("Int64")
    return out


def statistics_layout(frames: Mapping[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """The report's tables (:func:`carbon.reports.exports.region_report_frames`) as published: 分年度指标, 摘要,
    排放变化分解."""
    summary = frames["summary"].set_index("item")["value"].to_dict()
    items = [{"指标": label, "数值": _published(summary.get(key), decimals)}
             for key, (label, decimals) in _SUMMARY.items() if key in summary]
    decomposition = frames["decomposition"]
    return {"分年度指标": _table(frames["by_year"], BY_YEAR_COLUMNS),
            "摘要": pd.DataFrame(items, columns=["指标", "数值"]),
            "排放变化分解": _table(decomposition, _DECOMPOSITION) if len(decomposition) else pd.DataFrame()}
