"""An app on a temporary database with the seed region, two enterprises and a token per role."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from api.main import create_app
from api.settings import Settings
from carbon.access import audit_token, create_token, hash_token
from carbon.store import Store
from tests.databases import new_database

ADMIN_ENV_TOKEN = "env-admin-token-0123456789"


@dataclass
class Service:
    client: TestClient
    db_path: str
    tokens: dict[str, str]

    def headers(self, who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}

    def get(self, path: str, who: str, **kwargs):
        return self.client.get(path, headers=self.headers(who), **kwargs)

    def post(self, path: str, who: str, **kwargs):
        return self.client.post(path, headers=self.headers(who), **kwargs)

    def put(self, path: str, who: str, **kwargs):
        return self.client.put(path, headers=self.headers(who), **kwargs)


def seed(db_path: str) -> dict[str, str]:
    store = Store(db_path)
    store.upsert_region("gz-htz", name="广州高新技术产业开发区", grid_region="guangdong", intensity_base_year=2020,
                        intensity_base_value=0.15, intensity_target_year=2025, intensity_target_value=0.13)
    store.add_enterprises([{"id": "E1", "name": "示范显示科技", "region": "gz-htz", "industry": "C3974"},
                           {"id": "E2", "name": "示范生物医药", "region": "gz-htz", "industry": "C2720"}])
    tokens = {
        "admin": create_token(store, role="admin")[1],
        "bureau": create_token(store, role="bureau")[1],
        "finance": create_token(store, role="finance")[1],
        "enterprise": create_token(store, role="enterprise", enterprise_id="E1")[1],
        "other": create_token(store, role="enterprise", enterprise_id="E2")[1],
        "expired": create_token(store, role="bureau", days=1)[1],
    }
    with store.transaction():
        store.conn.execute("UPDATE tokens SET expires_at = '2000-01-01T00:00:00Z' WHERE token_hash = ?",
                           [hash_token(tokens["expired"])])
        # an expiry set by the service is audited like any change of a token (see carbon.audit_coverage)
        audit_token(store, store.token_by_hash(hash_token(tokens["expired"]))["id"], "expired", "test")
    store.close()
    tokens["env-admin"] = ADMIN_ENV_TOKEN
    return tokens


@pytest.fixture
def service(tmp_path) -> Iterator[Service]:
    db_path = new_database(tmp_path, "api")
    tokens = seed(db_path)
    app = create_app(Settings(db=db_path, admin_token=ADMIN_ENV_TOKEN, scheduler=False, max_upload_mb=1))
    with TestClient(app) as client:
        yield Service(client=client, db_path=db_path, tokens=tokens)


@pytest.fixture(scope="module")
def demo_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    """The service on the demo region's data, with a token per role (enterprise = GZHTZ-0001)."""
    from carbon.demo import load_demo

    db_path = new_database(tmp_path_factory.mktemp("demo-api"), "demo_api")
    store = Store(db_path)
    load_demo(store)
    tokens = {
        "admin": create_token(store, role="admin")[1],
        "bureau": create_token(store, role="bureau")[1],
        "finance": create_token(store, role="finance")[1],
        "enterprise": create_token(store, role="enterprise", enterprise_id="GZHTZ-0001")[1],
        "other": create_token(store, role="enterprise", enterprise_id="GZHTZ-0280")[1],
    }
    store.close()
    app = create_app(Settings(db=db_path, scheduler=False))
    with TestClient(app) as client:
        yield Service(client=client, db_path=db_path, tokens=tokens)
