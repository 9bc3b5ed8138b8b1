"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import DbDep
from api.schemas.common import HealthOut
from carbon import __version__
from carbon.factors import default_factors

router = APIRouter(tags=["health"])


@router.get("/healthz", response_model=HealthOut)
def healthz(db: DbDep) -> HealthOut:
    """The service answers and its database opens."""
    db.ping()
    return HealthOut(status="ok", database="ok", factor_version=default_factors().version, version=__version__)
