"""File uploads over HTTP go through the same pipeline as `carbon ingest`."""

from __future__ import annotations

from pathlib import Path

from carbon.store import Scope, Store
from tests.api.conftest import Service

DATA = Path(__file__).parent.parent / "data"
CSV = ("enterprise_id,period,carrier,quantity,unit\n"
       "E1,2024-01,电力,12.5,万千瓦时\nE1,2024-02,电力,abc,万千瓦时\nE2,2024-01,电力,1,kWh\n").encode()


def test_upload_csv_keeps_good_rows_and_names_bad_ones(service: Service) -> None:
    response = service.post("/v1/enterprises/E1/uploads", "enterprise", files={"file": ("january.csv", CSV)})
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["accepted"], body["rejected_count"], body["source"]) == (1, 2, "january.csv")
    reasons = {r["index"]: (r["field"], r["reason"]) for r in body["rejected"]}
    assert reasons[3][0] == "quantity" and "not a number" in reasons[3][1]  # line 3 of the file
    assert "for enterprise E1" in reasons[4][1]  # another enterprise's row in E1's upload
    store = Store(service.db_path)
    assert store.consumption(Scope.everything())["quantity"].tolist() == [12.5]
    store.close()


def test_upload_xlsx_and_form_205(service: Service) -> None:
    for name in ("consumption.xlsx", "form205_2024-03.xlsx"):
        response = service.post("/v1/enterprises/E2/uploads", "bureau",
                                files={"file": (name, (DATA / name).read_bytes())})
        assert response.status_code == 200, response.text
        assert response.json()["read"] > 0


def test_upload_refusals(service: Service) -> None:
    wrong = service.post("/v1/enterprises/E1/uploads", "enterprise", files={"file": ("notes.pdf", b"%PDF-1.4")})
    assert wrong.status_code == 415
    broken = service.post("/v1/enterprises/E1/uploads", "enterprise",
                          files={"file": ("broken.xlsx", (DATA / "truncated.xlsx").read_bytes())})
    assert broken.status_code == 422 and "broken.xlsx" in broken.json()["detail"]
    other = service.post("/v1/enterprises/E1/uploads", "other", files={"file": ("x.csv", CSV)})
    assert other.status_code == 404
    finance = service.post("/v1/enterprises/E1/uploads", "finance", files={"file": ("x.csv", CSV)})
    assert finance.status_code == 403
