"""Revisions are never silent: large or late ones are held, then confirmed, approved, rejected or withdrawn."""

from __future__ import annotations

from carbon.audit import verify
from carbon.store import Scope, Store
from tests.api.conftest import Service

README_EXAMPLE = {"records": [{"period": "2025-05", "carrier": "电力", "quantity": 120.5, "unit": "万千瓦时"}]}


def stored(service: Service, period: str, carrier: str = "electricity") -> float:
    store = Store(service.db_path)
    try:
        rows = store.consumption(Scope.everything(), enterprise_id="GZHTZ-0001", start=period, end=period)
    finally:
        store.close()
    return float(rows.set_index("carrier").loc[carrier, "quantity"])


def test_the_readme_example_is_held_then_confirmed_with_a_reason(demo_service: Service) -> None:
    before = stored(demo_service, "2025-05")
    path = "/v1/enterprises/GZHTZ-0001/consumption"
    reply = demo_service.post(path, "enterprise", json=README_EXAMPLE).json()
    assert reply["revised"] == 0 and reply["revisions"] == [] and len(reply["held"]) == 1
    held = reply["held"][0]
    assert held["old"]["quantity"] == before and held["new"]["quantity"] == 120.5
    assert held["change_pct"] < -90 and set(held["reasons"]) == {"change", "deadline"}
    assert stored(demo_service, "2025-05") == before  # demo data intact

    queue = demo_service.get("/v1/revisions?status=held", "bureau").json()
    assert [item["id"] for item in queue if item["id"] == held["id"]]
    assert demo_service.get("/v1/revisions", "enterprise").json()[0]["id"] == held["id"]
    assert demo_service.get("/v1/revisions", "finance").status_code == 403

    assert demo_service.post(path, "enterprise", json={**README_EXAMPLE, "confirm": True}).status_code == 422
    confirmed = demo_service.post(path, "enterprise",
                                  json={**README_EXAMPLE, "confirm": True, "reason": "plant shut for repairs"}).json()
    assert confirmed["revised"] == 1 and confirmed["held"] == []
    assert confirmed["revisions"][0]["old"]["quantity"] == before
    assert confirmed["revisions"][0]["new"]["quantity"] == 120.5
    assert stored(demo_service, "2025-05") == 120.5
    settled = demo_service.get("/v1/revisions?status=applied", "bureau").json()
    assert any(item["id"] == held["id"] and item["decision_reason"] == "plant shut for repairs" for item in settled)
    # a 99 % drop is an anomaly as much as a spike, and the alert is there without running a job
    alerts = demo_service.get("/v1/alerts?kind=consumption_anomaly", "bureau").json()
    drop = [a for a in alerts if a["enterprise_id"] == "GZHTZ-0001" and a["period"] == "2025-05"]
    assert drop and drop[0]["details"]["direction"] == "drop" and "仅为" in drop[0]["message"]


def test_the_bureau_approves_or_rejects_and_the_enterprise_withdraws(demo_service: Service) -> None:
    path = "/v1/enterprises/GZHTZ-0001/consumption"

    def hold(period: str, quantity: float) -> dict:
        reply = demo_service.post(path, "enterprise", json={"records": [
            {"period": period, "carrier": "电力", "quantity": quantity, "unit": "万千瓦时"}]}).json()
        assert len(reply["held"]) == 1, reply
        return reply["held"][0]

    approved = hold("2025-04", 1.0)
    assert demo_service.post(f"/v1/revisions/{approved['id']}/approve", "enterprise").status_code == 403
    decided = demo_service.post(f"/v1/revisions/{approved['id']}/approve", "bureau",
                                json={"reason": "confirmed by phone"}).json()
    assert decided["status"] == "applied" and decided["applied_batch"]
    assert stored(demo_service, "2025-04") == 1.0
    assert demo_service.post(f"/v1/revisions/{approved['id']}/approve", "bureau").status_code == 409

    rejected = hold("2025-03", 2.0)
    before = stored(demo_service, "2025-03")
    assert demo_service.post(f"/v1/revisions/{rejected['id']}/reject", "bureau").json()["status"] == "rejected"
    assert stored(demo_service, "2025-03") == before

    withdrawn = hold("2025-02", 3.0)
    assert demo_service.post(f"/v1/revisions/{withdrawn['id']}/withdraw", "other").status_code == 404
    assert demo_service.post(f"/v1/revisions/{withdrawn['id']}/withdraw", "enterprise").json()["status"] == \
        "withdrawn"

    again = hold("2025-02", 4.0)
    newer = hold("2025-02", 5.0)  # a second correction of the same row replaces the first
    statuses = {item["id"]: item["status"] for item in demo_service.get("/v1/revisions?status=all", "bureau").json()}
    assert statuses[again["id"]] == "superseded" and statuses[newer["id"]] == "held"

    store = Store(demo_service.db_path)
    try:
        reviews = store.audit_entries(Scope.everything(), action="review")
        decisions = sorted(e["new"].split('"decision":')[1].split('"')[1] for e in reviews
                           if e["entity"] == "held_revision")
        assert decisions == ["approved", "rejected", "withdrawn"]
        assert verify(store).ok
    finally:
        store.close()


def test_a_fresh_service_shows_the_region_off_track_alert_without_a_job(demo_service: Service) -> None:
    alerts = demo_service.get("/v1/alerts?kind=region_off_track", "bureau").json()
    assert alerts and alerts[0]["severity"] == "critical" and " / " in alerts[0]["message"]


def test_an_upload_holds_a_large_revision_until_confirmed_in_the_form(demo_service: Service) -> None:
    csv = "统计期,能源品种,实物量,计量单位\n2025-01,电力,0.5,万千瓦时\n2025-01,电力X,1,万千瓦时\n".encode()
    path = "/v1/enterprises/GZHTZ-0001/uploads"
    first = demo_service.post(path, "enterprise", files={"file": ("fix.csv", csv)}).json()
    assert len(first["held"]) == 1 and first["rejected_count"] == 1 and first["rejected"][0]["index"] == 3
    assert demo_service.post(path, "enterprise", files={"file": ("fix.csv", csv)},
                             data={"confirm": "true"}).status_code == 422
    second = demo_service.post(path, "enterprise", files={"file": ("fix.csv", csv)},
                               data={"confirm": "true", "reason": "meter replaced"}).json()
    assert second["revised"] == 1 and second["revisions"][0]["new"]["quantity"] == 0.5


def test_templates_and_the_carrier_catalogue(demo_service: Service, tmp_path) -> None:
    from openpyxl import load_workbook

    from carbon.ingest.readers import read_file

    catalogue = demo_service.get("/v1/carriers", "enterprise").json()
    electricity = next(c for c in catalogue if c["id"] == "electricity")
    assert electricity["name_zh"] == "电力" and electricity["units"][0] == "万千瓦时"
    csv = demo_service.get("/v1/enterprises/GZHTZ-0001/templates/csv?period=2025-07", "enterprise")
    assert csv.status_code == 200 and "attachment" in csv.headers["content-disposition"]
    header, first = csv.content.decode("utf-8-sig").splitlines()[:2]
    assert header.startswith("企业编号,统计期,能源品种,计量单位,消费量")
    assert first.startswith("GZHTZ-0001,2025-07,电力,万千瓦时,")
    form = demo_service.get("/v1/enterprises/GZHTZ-0001/templates/form205?period=2025-07", "enterprise")
    path = tmp_path / "205-1.xlsx"
    path.write_bytes(form.content)
    book = load_workbook(path)
    book.active["G9"] = 35_000
    book.save(path)
    rows = next(iter(read_file(path, enterprise_id="GZHTZ-0001")))
    assert rows.iloc[0][["carrier", "quantity", "unit"]].tolist() == ["电力", 35_000, "万千瓦时"]
    assert demo_service.get("/v1/enterprises/GZHTZ-0002/templates/csv", "enterprise").status_code == 404
    assert demo_service.get("/v1/enterprises/GZHTZ-0001/templates/pdf", "enterprise").status_code == 422
