"""Project reviews over HTTP: the stateless review, stored reviews, decisions (audited), thresholds per region."""

from __future__ import annotations

import pytest

from carbon.store import Store
from tests.api.conftest import Service

PROJECT = {
    "region": "gz-htz", "name": "示范数据中心", "industry": "I6450", "kind": "new", "start_year": 2027,
    "energy": [{"carrier": "电力", "quantity": 1000, "unit": "万千瓦时"},
               {"carrier": "原煤", "quantity": 1000, "unit": "吨"}],
    "output_value": 60_000, "value_added": 20_000,
    "products": [{"product": "cement_clinker", "quantity": 100_000, "unit": "t", "unit_energy": 104}],
}


def test_review_is_stateless_and_open_to_analysts(service: Service) -> None:
    response = service.post("/v1/projects/review", "finance", json=PROJECT)
    assert response.status_code == 200, response.text
    review = response.json()
    assert review["annual_tce_equivalent"] == pytest.approx(1229 + 714.3)  # GB/T 2589-2020
    assert review["annual_tce_equal"] > review["annual_tce_equivalent"]
    assert review["review_level"] == "local" and review["annual_kwh"] == pytest.approx(1e7)
    assert review["products"][0]["grade"] == "entry" and review["verdict"] in ("conditional", "recommended")
    assert {row["carrier"] for row in review["by_carrier"]} == {"electricity", "raw_coal"}
    assert all(row["co2_factor"] for row in review["by_carrier"])
    assert service.get("/v1/projects", "bureau").json() == []
    assert service.post("/v1/projects/review", "enterprise", json=PROJECT).status_code == 403


def test_review_errors(service: Service) -> None:
    unknown = {**PROJECT, "energy": [{"carrier": "unobtainium", "quantity": 1, "unit": "t"}]}
    assert service.post("/v1/projects/review", "bureau", json=unknown).status_code == 422
    assert service.post("/v1/projects/review", "bureau", json={**PROJECT, "region": "nowhere"}).status_code == 404
    assert service.post("/v1/projects/review", "bureau", json={**PROJECT, "energy": []}).status_code == 422


def test_store_decide_and_audit(service: Service) -> None:
    created = service.post("/v1/projects", "finance", json=PROJECT)
    assert created.status_code == 201, created.text
    project = created.json()
    assert project["status"] == "pending" and project["review"]["review_level"] == "local"
    assert service.get(f"/v1/projects/{project['id']}", "bureau").json()["name"] == "示范数据中心"
    body = {"decision": "approved_with_conditions", "reason": "on condition of the advanced value by 2028"}
    assert service.post(f"/v1/projects/{project['id']}/decision", "finance", json=body).status_code == 403
    decided = service.post(f"/v1/projects/{project['id']}/decision", "bureau", json=body)
    assert decided.status_code == 200 and decided.json()["status"] == "approved_with_conditions"
    assert [p["id"] for p in service.get("/v1/projects?status=approved_with_conditions", "bureau").json()] == \
        [project["id"]]
    assert service.get("/v1/projects/999999", "bureau").status_code == 404
    store = Store(service.db_path)
    actions = [(e["action"], e["entity_key"]) for e in store.iter_audit() if e["entity"] == "project"]
    store.close()
    assert actions == [("create", str(project["id"])), ("decide", str(project["id"]))]
    assert service.get("/v1/audit/verify", "admin").json()["ok"] is True


def test_review_thresholds_per_region(service: Service) -> None:
    body = {"exempt_tce_below": {"value": 3000, "source": "municipal notice 2025"},
            "exempt_kwh_below": {"value": 20_000_000, "source": "municipal notice 2025"}}
    response = service.put("/v1/regions/gz-htz/review-thresholds", "bureau", json=body)
    assert response.status_code == 200, response.text
    assert response.json()["thresholds"]["exempt_tce_below"]["value"] == 3000
    assert service.post("/v1/projects/review", "bureau", json=PROJECT).json()["review_level"] == "exempt"
    service.put("/v1/regions/gz-htz/review-thresholds", "bureau", json={"exempt_tce_below": {"value": None}})
    thresholds = service.get("/v1/regions/gz-htz/review-thresholds", "finance").json()
    assert thresholds["thresholds"]["exempt_tce_below"]["value"] == 1000
    assert set(thresholds["overrides"]) == {"exempt_kwh_below"}
