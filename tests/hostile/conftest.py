"""The hostile-input corpus runs on the API test service (a temporary database, two enterprises, a token per role)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from tests.api.conftest import ADMIN_ENV_TOKEN, Service, seed
from tests.api.conftest import service as service  # the fixture, shared with tests/api
from tests.databases import new_database


@pytest.fixture
def roomy(tmp_path) -> Iterator[Service]:
    """The service with the default 20 MB body limit, so that big files reach the readers and their limits."""
    db_path = new_database(tmp_path, "roomy")
    tokens = seed(db_path)
    app = create_app(Settings(db=db_path, admin_token=ADMIN_ENV_TOKEN, scheduler=False))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(client=client, db_path=db_path, tokens=tokens)


@pytest.fixture(scope="session", autouse=True)
def warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One good submission per test process first: loading the factor tables and the readers is not the case's time."""
    db_path = new_database(tmp_path_factory.mktemp("warm"), "warm")
    tokens = seed(db_path)
    app = create_app(Settings(db=db_path, scheduler=False))
    with TestClient(app) as client:
        headers = {"Authorization": f"Bearer {tokens['enterprise']}"}
        client.post("/v1/enterprises/E1/consumption", headers=headers,
                    json={"records": [{"period": "2024-01", "carrier": "电力", "quantity": 1, "unit": "kWh"}]})
        client.post("/v1/enterprises/E1/uploads", headers=headers,
                    files={"file": ("a.csv", b"period,carrier,quantity,unit\n2024-02,electricity,1,kWh\n")})
