"""Exports read back with pandas agree with the API's numbers, and re-ingest unchanged."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest
from fastapi.responses import JSONResponse

from api.downloads import json_bytes
from carbon.ingest.pipeline import ingest_file
from carbon.store import Store
from tests.api.conftest import Service


def test_enterprise_consumption_csv_and_xlsx(demo_service: Service, tmp_path) -> None:
    query = "from=2024-01&to=2024-12"
    energy = demo_service.get(f"/v1/enterprises/GZHTZ-0001/energy?{query}", "enterprise").json()
    csv = demo_service.get(f"/v1/enterprises/GZHTZ-0001/consumption?{query}&format=csv", "enterprise")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert "attachment" in csv.headers["content-disposition"]
    from_csv = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig")
    xlsx = demo_service.get(f"/v1/enterprises/GZHTZ-0001/consumption?{query}&format=xlsx", "enterprise")
    from_xlsx = pd.read_excel(io.BytesIO(xlsx.content))
    for frame in (from_csv, from_xlsx):
        assert list(frame.columns[:6]) == ["企业编号", "统计期", "能源品种", "计量单位", "消费量", "用途"]
        assert frame["折标准煤(当量值,吨)"].sum() == pytest.approx(energy["total"]["tce_equivalent"])
        assert frame["二氧化碳排放量(吨)"].sum() == pytest.approx(energy["total"]["co2_t"])
    path = tmp_path / "export.csv"
    path.write_bytes(csv.content)
    store = Store(demo_service.db_path)
    summary = ingest_file(store, path, actor="test")
    store.close()
    assert summary.rejected == 0 and summary.accepted == 0 and summary.revised == 0
    assert summary.unchanged == len(from_csv)


def test_region_report_csv_and_xlsx(demo_service: Service) -> None:
    intensity = demo_service.get("/v1/regions/gz-htz/intensity", "bureau").json()
    carbon = demo_service.get("/v1/regions/gz-htz/carbon", "bureau").json()
    csv = demo_service.get("/v1/regions/gz-htz/report?format=csv", "bureau")
    from_csv = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig").set_index("年份")
    workbook = pd.read_excel(io.BytesIO(demo_service.get("/v1/regions/gz-htz/report?format=xlsx",
                                                         "bureau").content), sheet_name=None)
    assert set(workbook) == {"分年度指标", "摘要", "排放变化分解"}
    from_xlsx = workbook["分年度指标"].set_index("年份")
    co2 = {row["year"]: row["co2_t"] for row in carbon["years"] if row.get("co2_t") is not None}
    for frame in (from_csv, from_xlsx):
        for row in intensity["years"]:  # the statistics layout: values as the API gives them, rounded as published
            if row["intensity"] is not None:
                assert frame.loc[row["year"], "单位GDP能耗(吨标准煤/万元)"] == round(row["intensity"], 4)
            if row["energy_tce"] is not None:
                assert frame.loc[row["year"], "能源消费总量(吨标准煤)"] == round(row["energy_tce"])
            if row["change_pct"] is not None:
                assert frame.loc[row["year"], "调整后能耗强度比上年增减(%)"] == round(row["change_pct"], 2)
            if row["gdp_constant"] is not None:
                assert frame.loc[row["year"], "地区生产总值(万元,可比价)"] == round(row["gdp_constant"])
        for year, value in co2.items():
            assert frame.loc[year, "二氧化碳排放量(吨)"] == round(value)
        assert frame["二氧化碳排放量(吨)"].notna().sum() >= 5
    header = csv.content.decode("utf-8-sig").splitlines()[0]
    assert "_" not in header and "(吨标准煤/万元)" in header
    summary = workbook["摘要"].set_index("指标")["数值"]
    assert summary["完成目标仍需年均变化(%)"] == round(intensity["required_annual_change_pct"], 2)
    assert summary["碳达峰状态"] in {"未达峰", "平台期", "初步达峰", "确认达峰", "数据不足"}


def test_exports_respect_scope(demo_service: Service) -> None:
    assert demo_service.get("/v1/enterprises/GZHTZ-0001/consumption?format=csv", "other").status_code == 404
    assert demo_service.get("/v1/regions/gz-htz/report?format=csv", "enterprise").status_code == 403


def test_region_report_docx_reads_back_as_published(demo_service: Service) -> None:
    from docx import Document

    answer = demo_service.get("/v1/regions/gz-htz/report?format=docx", "bureau")
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(
        "application/vnd.openxmlformats-officedocument.wordprocessingml")
    document = Document(io.BytesIO(answer.content))
    assert "能耗强度与碳排放报告" in document.paragraphs[0].text
    by_year = document.tables[1]
    header = [cell.text for cell in by_year.rows[0].cells]
    assert header[0] == "年份" and "单位GDP能耗(吨标准煤/万元)" in header
    rows = {row.cells[0].text: [cell.text for cell in row.cells] for row in by_year.rows[1:]}
    intensity = demo_service.get("/v1/regions/gz-htz/intensity", "bureau").json()
    column = header.index("单位GDP能耗(吨标准煤/万元)")
    for row in intensity["years"]:
        if row["intensity"] is not None:
            assert float(rows[str(row["year"])][column]) == round(row["intensity"], 4)
    assert demo_service.get("/v1/regions/gz-htz/report?format=docx", "enterprise").status_code == 403


def test_the_consumption_export_has_no_float_tails_and_names_electricity_energy(demo_service: Service) -> None:
    text = demo_service.get("/v1/enterprises/GZHTZ-0001/consumption?format=csv", "enterprise").content
    frame = pd.read_csv(io.BytesIO(text), encoding="utf-8-sig", dtype=str)
    assert not frame["折标准煤(当量值,吨)"].str.contains(r"\.\d{5,}", regex=True).any()
    purposes = dict(zip(frame["能源品种"], frame["用途"], strict=False))
    assert purposes["电力"] == "能源" and purposes.get("天然气", "燃料") == "燃料"


@pytest.mark.parametrize("payload", [
    [{"企业编号": "GZHTZ-0001", "统计期": "2024-01", "消费量": 148.0945, "原料用能": None, "能源": 1.5}],
    {"years": [{"year": 2024, "value": 0.1234, "complete": True}], "summary": []},
    [{"value": np.float64(2.5)}],  # a value orjson does not take: the standard way
])
def test_json_exports_are_the_bytes_the_standard_response_gives(payload: object) -> None:
    assert json_bytes(payload) == JSONResponse(payload).body


def test_json_exports_write_tiny_numbers_as_the_same_values() -> None:
    payload = [{"折标煤": 1e-07, "co2_t": 12345678901234567890.0}]
    assert json.loads(json_bytes(payload)) == json.loads(JSONResponse(payload).body) == payload
