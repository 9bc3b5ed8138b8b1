"""Region indicators over HTTP: statistics in, intensity and carbon out."""

from __future__ import annotations

import pytest

from tests.api.conftest import Service

# GDP 2020 3 972.3 亿元 = 39 723 000 万元; 0.15 tce/万元 gives 5 958 450 tce.
STATS = {2020: (39_723_000, 5_958_450), 2021: (42_500_000, 6_130_000), 2022: (45_300_000, 6_330_000)}


def test_statistics_then_intensity(service: Service) -> None:
    for year, (gdp, energy) in STATS.items():
        response = service.put(f"/v1/regions/gz-htz/statistics/{year}", "bureau",
                               json={"gdp_current": gdp, "gdp_constant": gdp, "energy_total_tce": energy})
        assert response.status_code == 200, response.text
    report = service.get("/v1/regions/gz-htz/intensity?gdp_growth_pct=6", "bureau").json()
    years = {row["year"]: row for row in report["years"]}
    assert years[2020]["intensity"] == pytest.approx(0.15)
    # 2021: (6 130 000 / 42 500 000) / 0.15 − 1 = −3.843 %
    assert years[2021]["change_pct"] == pytest.approx((6_130_000 / 42_500_000 / 0.15 - 1) * 100)
    assert years[2025]["target_path"] == pytest.approx(0.13)
    assert years[2021]["on_track"] is True
    assert report["target"]["annual_change_pct"] == pytest.approx(-2.8214491)
    assert report["required_annual_change_pct"] is not None and report["energy_budget_tce"] > 0


def test_statistics_writes_are_for_the_bureau(service: Service) -> None:
    body = {"gdp_current": 1, "gdp_constant": 1}
    for role in ("finance", "enterprise"):
        assert service.put("/v1/regions/gz-htz/statistics/2020", role, json=body).status_code == 403
    assert service.put("/v1/regions/gz-htz/statistics/2020", "bureau", json={"gdp_current": -1}).status_code == 422
    assert service.get("/v1/regions/gz-htz/intensity", "enterprise").status_code == 403


def test_unknown_region_is_404(service: Service) -> None:
    response = service.get("/v1/regions/atlantis/carbon", "bureau")
    assert response.status_code == 404 and "POST /v1/regions" in response.json()["detail"]


def test_demo_region_over_http(demo_service: Service) -> None:
    intensity = demo_service.get("/v1/regions/gz-htz/intensity", "finance").json()
    assert intensity["projected_on_track"] is False
    carbon = demo_service.get("/v1/regions/gz-htz/carbon", "bureau").json()
    assert carbon["peak"]["status"] and carbon["decomposition"]
    overview = demo_service.get("/v1/regions/gz-htz/overview", "bureau").json()
    assert overview["year"] == 2024
    assert overview["top_enterprises"][0]["tce_equivalent"] >= overview["top_enterprises"][1]["tce_equivalent"]
    assert sum(row["tce_equivalent"] for row in overview["by_carrier"]) == pytest.approx(overview["total_tce"])
    completeness = overview["completeness"]
    assert completeness["late"] > 0 and completeness["missing"] > 0
    assert completeness["expected"] == completeness["received"] + completeness["missing"]
    assert completeness["expected"] == completeness["on_time"] + completeness["late"] + completeness["missing"]
    for month in completeness["by_month"]:
        assert month["on_time"] + month["late"] + month["missing"] == month["expected"]


def test_enterprise_energy_by_month_and_carrier(demo_service: Service) -> None:
    by_month = demo_service.get("/v1/enterprises/GZHTZ-0001/energy?from=2024-01&to=2024-12", "enterprise").json()
    by_both = demo_service.get("/v1/enterprises/GZHTZ-0001/energy?from=2024-01&to=2024-12&by=month_carrier",
                               "enterprise").json()
    assert len(by_month["rows"]) == 12
    assert by_both["total"]["tce_equivalent"] == pytest.approx(by_month["total"]["tce_equivalent"])
    assert {"period", "carrier", "carrier_zh"} == set(by_both["rows"][0]["key"])


def test_intensity_without_a_target(service: Service) -> None:
    # A region with statistics but no target yet (issue 14): the series and yearly changes, target fields null.
    assert service.post("/v1/regions", "bureau", json={"code": "gd-x", "name": "无目标区"}).status_code == 201
    for year, (gdp, energy) in STATS.items():
        body = {"gdp_current": gdp, "gdp_constant": gdp, "energy_total_tce": energy}
        assert service.put(f"/v1/regions/gd-x/statistics/{year}", "bureau", json=body).status_code == 200
    response = service.get("/v1/regions/gd-x/intensity", "bureau")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["target"] is None and report["required_annual_change_pct"] is None
    years = {row["year"]: row for row in report["years"]}
    assert years[2020]["intensity"] == pytest.approx(0.15) and years[2020]["change_pct"] is None
    # 2021: (6 130 000 / 42 500 000) / 0.15 − 1 = −3.843 %; 2022 compounds on it (FACTS §4)
    r21 = 6_130_000 / 42_500_000 / 0.15 - 1
    r22 = (6_330_000 / 45_300_000) / (6_130_000 / 42_500_000) - 1
    assert years[2021]["change_pct"] == pytest.approx(r21 * 100)
    assert years[2022]["change_pct"] == pytest.approx(r22 * 100)
    assert years[2022]["cumulative_change_pct"] == pytest.approx(((1 + r21) * (1 + r22) - 1) * 100)
    assert years[2022]["target_path"] is None and years[2022]["on_track"] is None
    assert report["latest_year"] == 2022 and "no intensity target" in report["notes"][0]


def test_comparison_of_all_regions_for_a_year(service: Service) -> None:
    service.post("/v1/regions", "bureau", json={"code": "gd-y", "name": "对比区"})
    for year, (gdp, energy) in STATS.items():
        service.put(f"/v1/regions/gd-y/statistics/{year}", "bureau",
                    json={"gdp_current": gdp, "gdp_constant": gdp, "energy_total_tce": energy * 1.1})
        service.put(f"/v1/regions/gz-htz/statistics/{year}", "bureau",
                    json={"gdp_current": gdp, "gdp_constant": gdp, "energy_total_tce": energy})
    response = service.get("/v1/regions/comparison?year=2021", "bureau")
    assert response.status_code == 200, response.text
    data = response.json()
    rows = {row["region"]: row for row in data["regions"]}
    assert data["year"] == 2021 and {"gz-htz", "gd-y"} <= set(rows)
    assert rows["gz-htz"]["intensity"] == pytest.approx(6_130_000 / 42_500_000)
    assert rows["gd-y"]["intensity"] == pytest.approx(6_130_000 * 1.1 / 42_500_000)
    assert rows["gd-y"]["change_pct"] == pytest.approx((6_130_000 / 42_500_000 / 0.15 - 1) * 100)
    assert rows["gd-y"]["target_year"] is None
    assert data["regions"][0]["intensity"] <= data["regions"][1]["intensity"]  # lowest first
    assert service.get("/v1/regions/comparison", "bureau").json()["year"] == 2022
    assert service.get("/v1/regions/comparison", "enterprise").status_code == 403
