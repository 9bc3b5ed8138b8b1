"""Exports: the consumption frame with the statistics form's headers, CSV bytes (UTF-8 with a byte-order mark) and
XLSX workbooks read back with openpyxl, and the region report as tables.

Factors behind the numbers: electricity 0.1229 kgce/kWh (GB/T 2589-2020 Table A.2, 当量值) → 100 万kWh = 122.9 tce;
等价值 2024 = CEC 2022 coal rate 0.3007 kgce/kWh → 300.7 tce; Guangdong 0.4403 tCO2/MWh (MEE/NBS 2022, used for 2024
by fallback) → 440.3 t; natural gas 1.3300 kgce/m3 (Table A.1) → 1 万m3 = 13.3 tce.
"""

from __future__ import annotations

import io
import math

import openpyxl
import pandas as pd
import pytest

from carbon.reports import region_carbon, region_intensity
from carbon.reports.exports import (
    CONSUMPTION_HEADERS,
    consumption_frame,
    region_report_frames,
    to_csv_bytes,
    to_xlsx_bytes,
)
from carbon.store import Scope, Store

FORM_HEADERS = ["企业编号", "统计期", "能源品种", "计量单位", "消费量", "用途", "实测低位发热量", "发热量单位",
                "折标准煤(当量值,吨)", "折标准煤(等价值,吨)", "二氧化碳排放量(吨)", "热量(吉焦)", "折标系数",
                "排放因子", "因子版本", "修订次数", "报送日期"]


@pytest.fixture
def consumption(fresh_store: Store, submit) -> Store:
    submit("GZHTZ-0001", [
        {"period": "2024-01", "carrier": "电力", "quantity": 100, "unit": "万千瓦时",
         "submitted_at": "2024-02-10T08:00:00Z"},
        {"period": "2024-01", "carrier": "天然气", "quantity": 1, "unit": "万立方米", "purpose": "原料用能",
         "submitted_at": "2024-02-10T08:00:00Z"},
        {"period": "2024-02", "carrier": "光伏", "quantity": 10, "unit": "万千瓦时",
         "submitted_at": "2024-03-12T08:00:00Z"},
    ])
    submit("GZHTZ-0002", [{"period": "2024-01", "carrier": "电力", "quantity": 1, "unit": "万千瓦时"}])
    return fresh_store


# -- the consumption frame --------------------------------------------------------------------------------------


def test_the_consumption_frame_has_the_forms_headers_and_values(consumption: Store) -> None:
    frame = consumption_frame(consumption, Scope.everything(), "GZHTZ-0001")
    assert list(frame.columns) == FORM_HEADERS == list(CONSUMPTION_HEADERS.values())
    assert len(frame) == 3  # one row per month, carrier and purpose; GZHTZ-0002's row is not there
    rows = {(row["统计期"], row["能源品种"]): row for row in frame.to_dict("records")}
    grid = rows[("2024-01", "电力")]
    assert (grid["企业编号"], grid["计量单位"], grid["消费量"], grid["用途"]) == ("GZHTZ-0001", "万千瓦时", 100, "能源")
    assert grid["折标准煤(当量值,吨)"] == pytest.approx(122.9)
    assert grid["折标准煤(等价值,吨)"] == pytest.approx(300.7)
    assert grid["二氧化碳排放量(吨)"] == pytest.approx(440.3)
    assert grid["热量(吉焦)"] == pytest.approx(3600.0)  # 1 000 000 kWh x 3.6 MJ/kWh
    assert (grid["折标系数"], grid["排放因子"]) == ("gbt2589:electricity", "mee-nbs:2022:guangdong:average")
    assert (grid["修订次数"], grid["报送日期"]) == (1, "2024-02-10T08:00:00Z")
    assert grid["实测低位发热量"] is None or math.isnan(grid["实测低位发热量"])  # no measured NCV was given
    gas = rows[("2024-01", "天然气")]
    assert (gas["用途"], gas["折标准煤(当量值,吨)"]) == ("原料用能", pytest.approx(13.3))
    assert rows[("2024-02", "自发自用可再生能源电力")]["二氧化碳排放量(吨)"] == 0.0


def test_the_consumption_frame_follows_the_window_and_the_scope(consumption: Store) -> None:
    february = consumption_frame(consumption, Scope.everything(), "GZHTZ-0001", start="2024-02", end="2024-02")
    assert february["统计期"].tolist() == ["2024-02"]
    assert consumption_frame(consumption, Scope.only("GZHTZ-0002"), "GZHTZ-0001").empty
    empty = consumption_frame(consumption, Scope.everything(), "GZHTZ-0003")
    assert empty.empty and list(empty.columns) == FORM_HEADERS


# -- CSV --------------------------------------------------------------------------------------------------------


def test_csv_is_utf8_with_a_byte_order_mark_and_no_index() -> None:
    frame = pd.DataFrame({"企业编号": ["GZHTZ-0001", "GZHTZ-0002"], "消费量": [100.5, None],
                          "用途": ["燃料", "原料用能"]})
    data = to_csv_bytes(frame)
    assert data.startswith(b"\xef\xbb\xbf")  # so that spreadsheet programs read the Chinese headers as UTF-8
    assert data.decode("utf-8-sig").splitlines() == [
        "企业编号,消费量,用途", "GZHTZ-0001,100.5,燃料", "GZHTZ-0002,,原料用能"]


def test_the_consumption_csv_reads_back_to_the_same_frame(consumption: Store) -> None:
    frame = consumption_frame(consumption, Scope.everything(), "GZHTZ-0001")
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frame)), encoding="utf-8-sig")
    assert list(back.columns) == FORM_HEADERS
    assert back["能源品种"].tolist() == frame["能源品种"].tolist()
    assert back["折标准煤(当量值,吨)"].sum() == pytest.approx(122.9 + 13.3 + 12.29)  # 148.49 tce


# -- XLSX -------------------------------------------------------------------------------------------------------


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data), read_only=True)


def test_xlsx_has_one_sheet_per_frame_with_headers_and_values(consumption: Store) -> None:
    frame = consumption_frame(consumption, Scope.everything(), "GZHTZ-0001")
    summary = pd.DataFrame({"item": ["total_tce"], "value": [148.49]})
    book = workbook(to_xlsx_bytes({"consumption": frame, "summary": summary}))
    assert book.sheetnames == ["consumption", "summary"]
    rows = list(book["consumption"].iter_rows(values_only=True))
    assert list(rows[0]) == FORM_HEADERS
    assert len(rows) == 4  # header and three rows
    first = dict(zip(FORM_HEADERS, rows[1], strict=True))
    assert (first["企业编号"], first["统计期"], first["能源品种"], first["用途"]) == (
        "GZHTZ-0001", "2024-01", "电力", "能源")
    assert first["折标准煤(当量值,吨)"] == pytest.approx(122.9)  # stored as a number, not text
    assert first["实测低位发热量"] is None  # a missing value is an empty cell
    assert list(book["summary"].iter_rows(values_only=True)) == [("item", "value"), ("total_tce", 148.49)]


def test_xlsx_sheet_names_are_cut_to_31_characters() -> None:
    long_name = "region_report_by_year_and_by_carrier"  # 36 characters; Excel allows 31
    book = workbook(to_xlsx_bytes({long_name: pd.DataFrame({"a": [1]})}))
    assert book.sheetnames == [long_name[:31]]


# -- the region report as tables --------------------------------------------------------------------------------

INTENSITY = {
    "years": [{"year": 2020, "energy_tce": 15_000.0, "intensity": 0.15},
              {"year": 2021, "energy_tce": 14_000.0, "intensity": 0.14}],
    "target": {"base_year": 2020, "target_value": 0.13},
    "required_annual_change_pct": -1.8, "latest_year": 2021,
}
CARBON = {
    "years": [{"year": 2021, "co2_t": 40_000.0, "source": "official", "co2_per_gdp": 0.4, "co2_per_tce": 2.857,
               "coverage_pct": None}],
    "peak": {"status": "too_few_years", "peak_year": None, "rule": "r"},
    "decomposition": [{"period": "2020-2021", "total": -1000.0}],
}


def test_region_report_frames_put_co2_beside_intensity() -> None:
    frames = region_report_frames(INTENSITY, CARBON)
    assert set(frames) == {"by_year", "summary", "decomposition"}
    by_year = frames["by_year"]
    assert list(by_year.columns) == ["year", "energy_tce", "intensity", "co2_t", "co2_source", "co2_per_gdp",
                                     "co2_per_tce"]
    assert by_year["year"].tolist() == [2020, 2021]
    assert math.isnan(by_year["co2_t"].iat[0]) and by_year["co2_t"].iat[1] == 40_000.0  # left join on the year
    assert by_year["co2_source"].tolist()[1] == "official"
    summary = dict(zip(frames["summary"]["item"], frames["summary"]["value"], strict=True))
    assert summary["required_annual_change_pct"] == -1.8 and summary["latest_year"] == 2021
    assert summary["projected_on_track"] is None  # a key the intensity report did not give
    assert (summary["target_base_year"], summary["target_target_value"]) == (2020, 0.13)
    assert (summary["peak_status"], summary["peak_rule"], summary["peak_aim_year"]) == ("too_few_years", "r", None)
    assert frames["decomposition"].to_dict("records") == [{"period": "2020-2021", "total": -1000.0}]


def test_region_report_frames_without_co2_or_decomposition() -> None:
    frames = region_report_frames(INTENSITY, {**CARBON, "years": [], "decomposition": None})
    assert list(frames["by_year"].columns) == ["year", "energy_tce", "intensity"]
    assert frames["decomposition"].empty


def test_region_report_frames_of_a_stored_region_write_to_csv_and_xlsx(fresh_store: Store) -> None:
    # 0.150 → 0.140 tce/万元 with official CO2 in 2021: the by-year table carries both; every plan year is a row
    for year, energy, co2 in ((2020, 15_000, 45_000), (2021, 14_000, 40_000)):
        fresh_store.put_statistics("gz-htz", year, gdp_constant=100_000, energy_total_tce=energy, feedstock_tce=0,
                                   co2_total_t=co2)
    frames = region_report_frames(region_intensity(fresh_store, "gz-htz"), region_carbon(fresh_store, "gz-htz"))
    back = pd.read_csv(io.BytesIO(to_csv_bytes(frames["by_year"])), encoding="utf-8-sig").set_index("year")
    assert back.index.tolist() == [2020, 2021, 2022, 2023, 2024, 2025]
    assert back.loc[2021, "intensity"] == pytest.approx(0.14)
    assert back.loc[2021, "co2_t"] == pytest.approx(40_000) and back.loc[2021, "co2_source"] == "official"
    assert back.loc[2021, "co2_per_gdp"] == pytest.approx(0.4)  # 40 000 t / 100 000 万元
    book = workbook(to_xlsx_bytes(frames))
    assert book.sheetnames == ["by_year", "summary", "decomposition"]
    header = next(book["by_year"].iter_rows(values_only=True))
    assert {"year", "intensity", "co2_t", "co2_source"} <= set(header)
