"""Shared fixtures."""

from __future__ import annotations

import pytest

from carbon.factors import FactorSet, default_factors
from tests.databases import drop_schemas, scratch_database


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    drop_schemas()


@pytest.fixture(scope="session")
def factors() -> FactorSet:
    return default_factors()


@pytest.fixture
def fresh_store():
    """An empty database (SQLite in memory, or a PostgreSQL schema) with the seed region and three enterprises."""
    from carbon.store import Store

    store = Store(scratch_database())
    store.upsert_region("gz-htz", name="广州高新技术产业开发区", grid_region="guangdong",
                        intensity_base_year=2020, intensity_base_value=0.15, intensity_target_year=2025,
                        intensity_target_value=0.13)
    store.add_enterprises([
        {"id": "GZHTZ-0001", "name": "示范显示科技", "region": "gz-htz", "industry": "C3974"},
        {"id": "GZHTZ-0002", "name": "示范生物医药", "region": "gz-htz", "industry": "C2720"},
        {"id": "GZHTZ-0003", "name": "示范新材料", "region": "gz-htz", "industry": "C2614"},
    ])
    yield store
    store.close()

