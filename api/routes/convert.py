"""Unit and factor service: convert a quantity; list the factor tables."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from api.deps import Reader
from api.schemas.convert import ConvertIn, ConvertOut, FactorsOut
from carbon.accounting import convert
from carbon.factors import default_factors

router = APIRouter(prefix="/v1", tags=["accounting"])


@router.post("/convert", response_model=ConvertOut)
def convert_quantity(body: ConvertIn, principal: Reader) -> dict[str, Any]:
    """Energy, tce (both bases) and CO2 of a quantity, with the factors used and any fallback note."""
    return convert(body.quantity, body.unit, body.carrier, basis=body.basis, year=body.year, region=body.region,
                   method=body.method, grid_series=body.grid_series, ncv=body.ncv, ncv_unit=body.ncv_unit).to_dict()


@router.get("/factors", response_model=FactorsOut, response_model_exclude_unset=True)
def list_factors(principal: Reader, table: str | None = Query(default=None, max_length=64)) -> dict[str, Any]:
    """The factor tables with every row's value, unit, source, year or validity, status and note."""
    factors = default_factors()
    tables = [table] if table else factors.tables
    return {"version": factors.version, "files": factors.files,
            "tables": {name: factors.rows(name) for name in tables}}
