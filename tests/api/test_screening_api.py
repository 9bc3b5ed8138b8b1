"""Screening over HTTP: stated metrics, and metrics computed from an enterprise's stored data."""

from __future__ import annotations

from tests.api.conftest import Service


def test_stated_metrics_gas_power(demo_service: Service) -> None:
    body = {"framework": "eu_taxonomy", "activity": "electricity_generation_gas",
            "metrics": {"direct_gco2e_per_kwh": 350}}
    result = demo_service.post("/v1/screenings", "finance", json=body).json()
    assert result["eligible"] is True and result["aligned"] is False
    direct = next(c for c in result["criteria"] if c["metric"] == "direct_gco2e_per_kwh")
    assert direct["passed"] is False and direct["threshold"] == 270 and "2021/2139" in direct["source"]
    # 250 g/kWh meets (i) of route 1(b) only: its other conditions are not assessed, so not aligned (issue 14)
    body["metrics"] = {"direct_gco2e_per_kwh": 250}
    partial = demo_service.post("/v1/screenings", "finance", json=body).json()
    assert partial["aligned"] is False and "not assessed" in partial["reason"]
    body["metrics"] = {"lifecycle_gco2e_per_kwh": 90}  # route 1(a)
    assert demo_service.post("/v1/screenings", "finance", json=body).json()["aligned"] is True


def test_missing_metric_never_passes(demo_service: Service) -> None:
    result = demo_service.post("/v1/screenings", "finance", json={
        "framework": "eu_taxonomy", "activity": "cement_clinker", "metrics": {}}).json()
    assert result["aligned"] is False
    assert any(c["missing"] for c in result["criteria"])


def test_unknown_framework_and_activity(demo_service: Service) -> None:
    unknown = demo_service.post("/v1/screenings", "finance",
                                json={"framework": "astrology", "activity": "x", "metrics": {}})
    assert unknown.status_code == 422 and "eu_taxonomy" in unknown.json()["detail"]
    activity = demo_service.post("/v1/screenings", "finance",
                                 json={"framework": "eu_taxonomy", "activity": "tulip_farming", "metrics": {}}).json()
    assert activity["covered"] is False and activity["eligible"] is None and "cement" in activity["reason"]
    assert "not covered by this service" in activity["reason"]


def test_screening_from_an_enterprise_with_missing_months_says_so(demo_service: Service) -> None:
    # GZHTZ-0280 stopped reporting after February 2025.
    result = demo_service.post("/v1/screenings", "finance", json={
        "framework": "cn_green_finance_2025", "activity": "cement_clinker_energy_retrofit",
        "enterprise_id": "GZHTZ-0280", "year": 2025}).json()
    assert result["coverage"]["measured"] == ["2025-01", "2025-02"]
    assert "2025-03" in result["coverage"]["missing"]
    assert any("not computed" in note for note in result["notes"])
    assert result["aligned"] is False


def test_screening_from_data_with_output(demo_service: Service) -> None:
    for month in range(1, 13):
        response = demo_service.client.put(
            f"/v1/enterprises/GZHTZ-0001/output/2024-{month:02d}", headers=demo_service.headers("enterprise"),
            json={"output_value": 150_000, "products": [{"product": "cement_clinker", "quantity": 600_000,
                                                         "unit": "t"}]})
        assert response.status_code == 200, response.text
    result = demo_service.post("/v1/screenings", "bureau", json={
        "framework": "cn_green_finance_2025", "activity": "cement_clinker_energy_retrofit",
        "enterprise_id": "GZHTZ-0001", "year": 2024}).json()
    measured = result["metrics_from_data"]["unit_energy_kgce_per_t_clinker"]
    criterion = next(c for c in result["criteria"] if c["metric"] == "unit_energy_kgce_per_t_clinker")
    assert criterion["value"] == measured and criterion["passed"] is (measured <= 100)
    assert result["coverage"]["share_measured_pct"] == 100
    # GZHTZ-0001 makes display panels (GB/T 4754 C3974), not clinker (C3011): the answer says so (issue 14)
    assert result["industry"]["matches"] is False and result["industry"]["expected"] == ["C3011"]
    assert result["eligible"] is False and result["aligned"] is False and "C3974" in result["reason"]
    compliance = demo_service.get("/v1/enterprises/GZHTZ-0001/compliance?year=2024", "enterprise").json()
    assert compliance["energy_per_output"]["tce_per_10k_yuan"] > 0
    assert compliance["products"][0]["grade"] in ("advanced", "entry", "limit", "over_limit")


def test_screening_scope(demo_service: Service) -> None:
    response = demo_service.post("/v1/screenings", "other", json={
        "framework": "cn_green_finance_2025", "activity": "solar_power", "enterprise_id": "GZHTZ-0001",
        "year": 2024})
    assert response.status_code == 404


def test_activity_list(demo_service: Service) -> None:
    activities = demo_service.get("/v1/screenings/activities?framework=eu_taxonomy", "finance").json()
    assert {"electricity_generation_solar_pv", "cement", "building_renovation"} <= {a["activity"] for a in activities}


def test_screening_from_data_defaults_to_the_latest_complete_year(demo_service: Service) -> None:
    result = demo_service.post("/v1/screenings", "finance", json={
        "framework": "cn_green_finance_2025", "activity": "building_energy_retrofit",
        "enterprise_id": "GZHTZ-0001"})
    assert result.status_code == 200, result.text
    data = result.json()
    assert data["coverage"]["share_measured_pct"] == 100 and len(data["coverage"]["measured"]) == 12
    assert any("latest complete year" in note for note in data["notes"])
    assert data["industry"]["matches"] is True  # a building retrofit: any industry
