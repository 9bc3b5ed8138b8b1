"""Alerts: refreshed by the job, listed by scope, acknowledged by the bureau; quotas."""

from __future__ import annotations

from carbon.jobs import run_job
from tests.api.conftest import Service


def test_alerts_refresh_list_and_acknowledge(demo_service: Service) -> None:
    quota = demo_service.put("/v1/enterprises/GZHTZ-0001/quotas/2025", "bureau", json={"quota_tce": 400_000})
    assert quota.status_code == 200
    assert demo_service.put("/v1/enterprises/GZHTZ-0001/quotas/2025", "enterprise",
                            json={"quota_tce": 9e8}).status_code == 403
    assert run_job("refresh_alerts", demo_service.db_path)["status"] == "ok"
    assert run_job("flag_missing_reports", demo_service.db_path)["status"] == "ok"
    alerts = demo_service.get("/v1/alerts", "bureau").json()
    kinds = {a["kind"] for a in alerts}
    assert {"region_off_track", "quota_exceeded", "missing_report", "telemetry_incomplete"} <= kinds
    assert alerts[0]["severity"] == "critical"
    own = demo_service.get("/v1/alerts", "enterprise").json()
    assert own and {a["enterprise_id"] for a in own} == {"GZHTZ-0001"}
    quota_alert = next(a for a in own if a["kind"] == "quota_exceeded")
    assert quota_alert["details"]["projected_over"] is True
    assert demo_service.post(f"/v1/alerts/{quota_alert['id']}/acknowledge", "enterprise").status_code == 403
    acknowledged = demo_service.post(f"/v1/alerts/{quota_alert['id']}/acknowledge", "bureau").json()
    assert acknowledged["acknowledged_by"].startswith("bureau:")
    assert demo_service.get("/v1/alerts?kind=nonsense", "bureau").status_code == 422
    assert demo_service.get("/v1/alerts", "finance").status_code == 403
