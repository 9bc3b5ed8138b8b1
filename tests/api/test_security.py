"""Who may do what: the role × endpoint matrix, cross-enterprise isolation, bad tokens."""

from __future__ import annotations

import pytest

from tests.api.conftest import Service

ROLES = ("admin", "bureau", "finance", "enterprise", "other")

GOOD_RECORD = {"records": [{"period": "2024-03", "carrier": "电力", "quantity": 10, "unit": "万千瓦时"}]}

# (method, path, body, roles allowed). "enterprise" holds E1's token, "other" E2's.
MATRIX = [
    ("GET", "/v1/enterprises", None, ROLES),
    ("GET", "/v1/enterprises/E1", None, ("admin", "bureau", "finance", "enterprise")),
    ("GET", "/v1/enterprises/E1/energy", None, ("admin", "bureau", "finance", "enterprise")),
    ("POST", "/v1/enterprises/E1/consumption", GOOD_RECORD, ("admin", "bureau", "enterprise")),
    ("POST", "/v1/enterprises", {"id": "E9", "name": "n", "region": "gz-htz"}, ("admin", "bureau")),
    ("GET", "/v1/audit", None, ("admin", "bureau", "enterprise", "other")),
    ("GET", "/v1/audit?enterprise=E1", None, ("admin", "bureau", "enterprise")),
    ("GET", "/v1/audit/verify", None, ("admin", "bureau")),
    ("GET", "/v1/jobs", None, ("admin", "bureau")),
    ("POST", "/v1/convert", {"quantity": 1, "unit": "t", "carrier": "diesel"}, ROLES),
    ("GET", "/v1/factors", None, ROLES),
    ("GET", "/v1/tokens", None, ("admin",)),
]


@pytest.mark.parametrize(("method", "path", "body", "allowed"), MATRIX)
@pytest.mark.parametrize("role", ROLES)
def test_role_matrix(service: Service, method: str, path: str, body: dict | None, allowed: tuple, role: str) -> None:
    response = service.client.request(method, path, json=body, headers=service.headers(role))
    if role in allowed:
        assert response.status_code < 400, (role, path, response.text)
    else:
        assert response.status_code in (403, 404), (role, path, response.status_code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        if role == "other" and ("/E1" in path or "enterprise=E1" in path):
            # another enterprise's data: 404, never data and never a hint that it exists
            assert response.status_code == 404


def test_an_enterprise_never_sees_another(service: Service) -> None:
    service.post("/v1/enterprises/E1/consumption", "enterprise", json=GOOD_RECORD)
    assert [e["id"] for e in service.get("/v1/enterprises", "other").json()] == ["E2"]
    assert service.get("/v1/enterprises/E1", "other").status_code == 404
    assert service.get("/v1/enterprises/E1/energy", "other").status_code == 404
    assert service.post("/v1/enterprises/E1/consumption", "other", json=GOOD_RECORD).status_code == 404
    assert service.get("/v1/audit", "other").json() == []
    assert service.get("/v1/audit", "enterprise").json()  # its own batch is there


def test_missing_tampered_and_expired_tokens(service: Service) -> None:
    assert service.client.get("/v1/enterprises").status_code == 401
    tampered = service.tokens["bureau"][:-2] + ("AA" if not service.tokens["bureau"].endswith("AA") else "BB")
    response = service.client.get("/v1/enterprises", headers={"Authorization": f"Bearer {tampered}"})
    assert response.status_code == 401 and "invalid" in response.json()["detail"]
    assert service.get("/v1/enterprises", "expired").status_code == 401
    assert service.client.get("/v1/enterprises", headers={"Authorization": "Basic abc"}).status_code == 401


def test_admin_token_from_the_environment(service: Service) -> None:
    assert service.get("/v1/tokens", "env-admin").status_code == 200


def test_tokens_are_stored_hashed(service: Service) -> None:
    from carbon.store import Store

    store = Store(service.db_path)
    stored = " ".join(str(v) for row in store.conn.execute("SELECT * FROM tokens").fetchall() for v in row)
    store.close()
    for token in service.tokens.values():
        assert token not in stored


def test_created_token_works_once_shown(service: Service) -> None:
    created = service.post("/v1/tokens", "admin", json={"role": "enterprise", "enterprise_id": "E2"})
    assert created.status_code == 201
    token = created.json()["token"]
    response = service.client.get("/v1/enterprises", headers={"Authorization": f"Bearer {token}"})
    assert [e["id"] for e in response.json()] == ["E2"]
    assert "token" not in str(service.get("/v1/tokens", "admin").json())
    service.client.delete(f"/v1/tokens/{created.json()['id']}", headers=service.headers("admin"))
    assert service.client.get("/v1/enterprises", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_sql_and_html_are_stored_literally(service: Service) -> None:
    nasty = "E'; DROP TABLE consumption;--<b>x</b>"
    refused = service.post("/v1/enterprises", "bureau", json={"id": nasty, "name": "n", "region": "gz-htz"})
    assert refused.status_code == 422  # identifiers follow one pattern (carbon.identifiers)
    created = service.post("/v1/enterprises", "bureau", json={"id": "E3", "name": nasty + "<script>alert(1)</script>",
                                                              "region": "gz-htz"})
    assert created.status_code == 201
    listed = {e["id"]: e["name"] for e in service.get("/v1/enterprises", "bureau").json()}
    assert listed["E3"] == nasty + "<script>alert(1)</script>"


def test_upload_size_is_bounded(service: Service) -> None:
    big = b"enterprise_id,period,carrier,quantity,unit\n" + b"E1,2024-01,electricity,1,kWh\n" * 60_000
    response = service.post("/v1/enterprises/E1/uploads", "enterprise", files={"file": ("big.csv", big, "text/csv")})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")


def test_errors_are_problem_documents_naming_the_field(service: Service) -> None:
    response = service.post("/v1/convert", "bureau", json={"quantity": 1, "unit": "t"})
    assert response.status_code == 422
    body = response.json()
    assert body["status"] == 422 and "carrier" in body["detail"]
    bad = service.post("/v1/convert", "bureau", json={"quantity": 1, "unit": "m3", "carrier": "电力"})
    assert bad.status_code == 422 and "volume" in bad.json()["detail"]
