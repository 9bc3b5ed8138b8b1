"""Unit and factor service: one quantity converted, and the factor tables."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["ConvertIn", "ConvertOut", "FactorOut", "FactorRow", "FactorsOut"]


class ConvertIn(BaseModel):
    model_config = ConfigDict(allow_inf_nan=False, json_schema_extra={"examples": [
        {"quantity": 12, "unit": "万千瓦时", "carrier": "电力", "year": 2024}]})
    quantity: float | str = Field(description="amount consumed, in `unit`")
    unit: str = Field(min_length=1, max_length=64, description="e.g. kWh, 万千瓦时, t, 吨, 万立方米")
    carrier: str = Field(min_length=1, max_length=64, description="e.g. electricity, 电力, diesel, 柴油")
    year: int | None = Field(default=None, ge=1900, le=2999)
    region: str | None = Field(default=None, max_length=64)
    basis: Literal["equivalent", "equal"] = "equivalent"
    method: Literal["cn", "ipcc2006"] = "cn"
    grid_series: Literal["average", "excl_market_nonfossil", "fossil", "cets"] = "average"
    ncv: float | None = Field(default=None, gt=0, description="measured net calorific value, with `ncv_unit`")
    ncv_unit: str | None = Field(default=None, max_length=64, description="unit of `ncv`, e.g. kJ/kg")

    @model_validator(mode="after")
    def _ncv_with_its_unit(self) -> ConvertIn:
        if (self.ncv is None) != (self.ncv_unit is None):
            raise ValueError("give a measured NCV together with its unit, e.g. ncv=21500, ncv_unit='kJ/kg'")
        return self


class FactorOut(BaseModel):
    """A factor used in a conversion."""

    id: str
    table: str
    value: float
    unit: str
    source: str
    status: str
    note: str
    year: int | None = None
    valid_from: str | None = None
    requested_year: int | None = None
    fallback: bool = False


class ConvertOut(BaseModel):
    quantity: float
    unit: str
    carrier: str
    carrier_zh: str
    ncv: float | None = None
    ncv_unit: str | None = None
    year: int | None = None
    region: str | None = None
    basis: str
    method: str
    energy_gj: float
    tce: float
    tce_equivalent: float
    tce_equal: float
    co2_t: float
    fallback: bool
    notes: list[str]
    factor_version: str
    factors: list[FactorOut]


class FactorRow(BaseModel):
    """One row of a factor table: the fields every table has, and the table's own keys (carrier, region, ncv …)."""

    model_config = ConfigDict(extra="allow")
    id: str
    value: float
    unit: str
    source: str
    status: str = Field(description="verified or unverified")
    note: str
    year: int | None = Field(default=None, description="data year (year-dependent tables)")
    valid_from: str | None = Field(default=None, description="date from which it applies (other tables)")


class FactorsOut(BaseModel):
    version: str = Field(description="version of the factor set (newest edition date and content hash)")
    files: dict[str, str] = Field(description="table → the dated file it was read from")
    tables: dict[str, list[FactorRow]]
