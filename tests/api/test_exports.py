"""Exports read back with pandas agree with the API's numbers, and re-ingest unchanged."""

from __future__ import annotations

import io

import pandas as pd
import pytest

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
    expected = {row["year"]: row["intensity"] for row in intensity["years"] if row["intensity"] is not None}
    csv = demo_service.get("/v1/regions/gz-htz/report?format=csv", "bureau")
    from_csv = pd.read_csv(io.BytesIO(csv.content), encoding="utf-8-sig").set_index("year")
    workbook = pd.read_excel(io.BytesIO(demo_service.get("/v1/regions/gz-htz/report?format=xlsx",
                                                         "bureau").content), sheet_name=None)
    assert set(workbook) == {"by_year", "summary", "decomposition"}
    from_xlsx = workbook["by_year"].set_index("year")
    for frame in (from_csv, from_xlsx):
        for year, value in expected.items():
            assert frame.loc[year, "intensity"] == pytest.approx(value)
        assert frame["co2_t"].notna().sum() >= 5


def test_exports_respect_scope(demo_service: Service) -> None:
    assert demo_service.get("/v1/enterprises/GZHTZ-0001/consumption?format=csv", "other").status_code == 404
    assert demo_service.get("/v1/regions/gz-htz/report?format=csv", "enterprise").status_code == 403
