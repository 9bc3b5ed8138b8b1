"""Shared fixtures."""

from __future__ import annotations

import pytest

from carbon.factors import FactorSet, default_factors


@pytest.fixture(scope="session")
def factors() -> FactorSet:
    return default_factors()
