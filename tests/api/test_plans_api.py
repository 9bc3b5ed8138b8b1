"""Plans over HTTP: set and read a plan, the 14th plan kept equal to the region's target, the assessment."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import Service

CO2_PLAN = {"indicators": [{"kind": "co2_intensity", "base_year": 2025, "target_year": 2030, "change_pct": -17,
                            "binding": True, "source": "15th FYP outline: CO2 per unit of GDP -17 %"},
                           {"kind": "co2_total", "base_year": 2025, "target_year": 2030, "change_pct": 5,
                            "binding": False, "source": "illustrative soft cap"}]}


def _statistics(service: Service, co2_per_tce: float | None = None) -> None:
    # energy intensity 0.15 in 2020 (no deductions), then 0.145, 0.140
    for year, gdp, energy in ((2020, 1_000_000, 150_000), (2021, 1_100_000, 159_500), (2022, 1_200_000, 168_000)):
        body = {"gdp_current": gdp, "gdp_constant": gdp, "energy_total_tce": energy, "feedstock_tce": 0}
        if co2_per_tce:
            body["co2_total_t"] = energy * co2_per_tce
        assert service.put(f"/v1/regions/gz-htz/statistics/{year}", "bureau", json=body).status_code == 200


def test_put_and_get_a_plan(service: Service) -> None:
    response = service.put("/v1/regions/gz-htz/plans/15th-fyp", "bureau", json=CO2_PLAN)
    assert response.status_code == 200, response.text
    plan = service.get("/v1/regions/gz-htz/plans/15th-fyp", "finance").json()
    co2 = plan["indicators"][0]
    assert co2["kind"] == "co2_intensity" and co2["unit"] == "t CO2/万元"
    assert co2["annual_change_pct"] == pytest.approx(-3.658, abs=1e-3)
    assert service.get("/v1/regions/gz-htz/plans", "bureau").json()["plans"] == ["14th-fyp", "15th-fyp"]


def test_the_seed_target_is_the_14th_plan_and_both_stay_equal(service: Service) -> None:
    plan = service.get("/v1/regions/gz-htz/plans/14th-fyp", "bureau").json()
    assert plan["indicators"][0] | {} == plan["indicators"][0]
    assert (plan["indicators"][0]["base_value"], plan["indicators"][0]["target_value"]) == (0.15, 0.13)
    body = {"indicators": [{"kind": "energy_intensity", "base_year": 2020, "target_year": 2025, "base_value": 0.15,
                            "change_pct": -15, "binding": True, "source": "revised"}]}
    assert service.put("/v1/regions/gz-htz/plans/14th-fyp", "bureau", json=body).status_code == 200
    targets = service.get("/v1/regions/gz-htz", "bureau").json()["targets"]
    assert targets["intensity_target_value"] == pytest.approx(0.1275)
    # and the other way round: the old route sets the target, the plan follows
    service.post("/v1/regions", "bureau", json={"code": "gz-htz", "name": "广州高新技术产业开发区",
                                                "targets": {"intensity_target_value": 0.12}})
    indicator = service.get("/v1/regions/gz-htz/plans/14th-fyp", "bureau").json()["indicators"][0]
    assert indicator["target_value"] == 0.12 and indicator["source"] == "revised"


def test_plan_errors(service: Service) -> None:
    assert service.put("/v1/regions/gz-htz/plans/15th-fyp", "finance", json=CO2_PLAN).status_code == 403
    assert service.get("/v1/regions/gz-htz/plans/15th-fyp", "enterprise").status_code == 403
    assert service.get("/v1/regions/gz-htz/plans/16th-fyp", "bureau").status_code == 404
    both = {"indicators": [{**CO2_PLAN["indicators"][0], "target_value": 0.8}]}
    response = service.put("/v1/regions/gz-htz/plans/15th-fyp", "bureau", json=both)
    assert response.status_code == 422 and "exactly one" in response.json()["detail"]
    no_base = {"indicators": [{"kind": "energy_intensity", "base_year": 2020, "target_year": 2025,
                               "change_pct": -13.5}]}
    response = service.put("/v1/regions/gz-htz/plans/14th-fyp", "bureau", json=no_base)
    assert response.status_code == 422 and "base_value" in response.json()["detail"]


def test_assessment_of_the_14th_plan(service: Service) -> None:
    _statistics(service)
    response = service.get("/v1/regions/gz-htz/plans/14th-fyp/assessment", "finance")
    assert response.status_code == 200, response.text
    report = response.json()
    energy = report["indicators"][0]
    years = {row["year"]: row for row in energy["years"]}
    # path −2.821 %/yr: 2021 −3.33 % achieved; 2022 −6.67 % achieved (path −5.563 %); 2023–2025 no data
    assert years[2021]["cumulative_change_pct"] == pytest.approx(-3.333, abs=1e-3) and years[2021]["achieved"]
    assert years[2022]["achieved"] is True and years[2023]["status"] == "no data"
    assert energy["result"]["progress_pct"] == pytest.approx(50.0)  # −6.67 % of a planned −13.33 %
    assert "achieved 50 % of the planned reduction" in report["summary"][0]
    xlsx = service.get("/v1/regions/gz-htz/plans/14th-fyp/assessment?format=xlsx", "bureau")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


def test_carbon_report_has_the_co2_intensity_path(service: Service) -> None:
    _statistics(service, co2_per_tce=2.5)
    service.put("/v1/regions/gz-htz/plans/14th-fyp", "bureau", json={"indicators": [
        {"kind": "energy_intensity", "base_year": 2020, "target_year": 2025, "base_value": 0.15,
         "target_value": 0.13},
        {"kind": "co2_intensity", "base_year": 2020, "target_year": 2025, "change_pct": -18}]})
    report = service.get("/v1/regions/gz-htz/carbon", "bureau").json()
    position = report["co2_intensity"]
    assert position["plan"] == "14th-fyp"
    assert position["path_annual_change_pct"] == pytest.approx((0.82 ** 0.2 - 1) * 100)
    assert [row["year"] for row in position["years"]] == [2020, 2021, 2022]
    assert position["required_annual_change_pct"] is not None
    assert report["years"][0]["co2_per_gdp"] is not None  # the old keys stay


def test_assessment_as_a_printable_document(service: Service) -> None:
    """The DOCX reads back with the JSON answer's numbers: per indicator its years, values, path and result."""
    docx = pytest.importorskip("docx")
    _statistics(service)
    report = service.get("/v1/regions/gz-htz/plans/14th-fyp/assessment", "bureau").json()
    response = service.get("/v1/regions/gz-htz/plans/14th-fyp/assessment?format=docx", "finance")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats-officedocument.word")
    assert "14th-fyp-assessment.docx" in response.headers["content-disposition"]
    document = docx.Document(io.BytesIO(response.content))
    tables = document.tables
    assert len(tables) == len(report["indicators"])
    for table, item in zip(tables, report["indicators"], strict=True):
        header = [cell.text for cell in table.rows[0].cells]
        assert header == ["年份", "数值", "目标路径值", "是否达到目标路径", "数据状态"]
        printed = [[cell.text for cell in row.cells] for row in table.rows[1:]]
        assert [int(row[0]) for row in printed] == [row["year"] for row in item["years"]]
        for cells, row in zip(printed, item["years"], strict=True):
            for text, key in ((cells[1], "value"), (cells[2], "path")):
                if row[key] is None:
                    assert text == "—"
                else:
                    assert float(text.replace(",", "")) == pytest.approx(row[key], abs=5e-5)
            assert cells[3] == {True: "是", False: "否", None: "—"}[row["achieved"]]
    text = "\n".join(paragraph.text for paragraph in document.paragraphs)
    for sentence in report["summary"]:
        assert sentence in text
    for note in report["notes"]:
        assert note in text
    assert report["name"] in text and "14th-fyp" in text
