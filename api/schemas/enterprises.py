"""Enterprises: registration, energy totals, quotas and output, compliance, telemetry quality."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from api.schemas.common import Coverage, Finite, Identifier, Text
from carbon.errors import UnknownUnit
from carbon.ingest.free_text import is_product_name
from carbon.units import parse_unit

__all__ = [
    "ComplianceOut", "DayQuality", "EnergyOut", "EnergyPerOutput", "EnergyRow", "EnterpriseIn", "EnterpriseOut",
    "MeterQuality", "OutputIn", "OutputOut", "ProductEnergy", "ProductOutputIn", "QuotaIn", "QuotaOut", "QuotaUse",
    "TelemetryOut",
]


class EnterpriseIn(BaseModel):
    id: Identifier
    name: Text
    region: str = Field(min_length=1, max_length=64, pattern=r"\S", description="code of a registered region")
    industry: str | None = Field(default=None, max_length=16, description="GB/T 4754-2017 code, e.g. C3974")
    credit_code: str | None = Field(default=None, max_length=32)


class EnterpriseOut(BaseModel):
    id: str
    name: str
    region: str
    industry: str | None = None
    credit_code: str | None = None
    synthetic: bool = False
    created_at: str | None = None


class EnergyRow(BaseModel):
    key: dict[str, str | int] = Field(description="the group: period, year and/or carrier (with carrier_zh)")
    energy_gj: float
    tce_equivalent: float
    tce_equal: float
    co2_t: float
    rows: int


class EnergyOut(BaseModel):
    enterprise_id: str
    by: str
    start: str | None
    end: str | None
    rows: list[EnergyRow]
    total: EnergyRow | None


class QuotaIn(BaseModel):
    model_config = Finite
    quota_tce: float = Field(gt=0, le=1e9, description="energy-use quota (用能权) of the year [tce]")
    basis: Literal["equivalent", "equal"] = "equivalent"
    source: str | None = Field(default=None, max_length=200)


class QuotaOut(BaseModel):
    enterprise_id: str
    year: int
    quota_tce: float
    basis: Literal["equivalent", "equal"]
    source: str | None
    updated_at: str


class ProductOutputIn(BaseModel):
    model_config = Finite
    product: str = Field(min_length=1, max_length=64, description="e.g. cement_clinker (see /v1/screenings/products)")
    quantity: float = Field(ge=0, le=1e12)
    unit: str = Field(min_length=1, max_length=32, description="e.g. t")

    @field_validator("product")
    @classmethod
    def _a_name(cls, value: str) -> str:
        if not is_product_name(value):
            raise ValueError("a product name starts with a letter or digit and holds letters, digits, spaces and "
                             ". ( ) / · + % - only")
        return value

    @field_validator("unit")
    @classmethod
    def _a_unit(cls, value: str) -> str:
        try:
            parse_unit(value)
        except UnknownUnit as error:
            raise ValueError(str(error)) from None
        return value


class OutputIn(BaseModel):
    model_config = Finite
    output_value: float | None = Field(default=None, ge=0, le=1e12, description="output value of the month [万元]")
    products: list[ProductOutputIn] = Field(default_factory=list, max_length=50)

    @model_validator(mode="after")
    def _distinct_products(self) -> OutputIn:
        names = [product.product for product in self.products]
        if len(names) != len(set(names)):
            raise ValueError("each product once per month; add up the quantities of a repeated product")
        return self


class OutputOut(BaseModel):
    enterprise_id: str
    period: str
    rows: int = Field(description="rows stored: the output value and each product")


class QuotaUse(BaseModel):
    """Use of the year's energy-use quota so far, and the projected year-end use."""

    year: int
    quota_tce: float
    used_tce: float
    used_pct: float
    projected_tce: float | None
    projected_pct: float | None
    projected_over: bool | None
    coverage: Coverage
    method: str
    basis: Literal["equivalent", "equal"]


class EnergyPerOutput(BaseModel):
    tce_per_10k_yuan: float
    energy_tce: float
    output_value_10k_yuan: float
    months: list[str] = Field(description="months with both energy and output value")


class ProductEnergy(BaseModel):
    """A product's unit energy graded against its 能耗限额 standard, or the reason it could not be."""

    product: str
    quantity: float
    quantity_unit: str
    months: list[str]
    error: str | None = Field(default=None, description="why the product was not graded")
    note: str | None = None
    # the comparison, when the product could be graded
    name_zh: str | None = None
    name_en: str | None = None
    indicator: str | None = None
    unit_energy: float | None = None
    unit: str | None = None
    limit: float | None = None
    entry: float | None = None
    advanced: float | None = None
    grade: str | None = Field(default=None, description="advanced, entry, limit or over_limit")
    grade_label: str | None = None
    passed_limit: bool | None = None
    edition: str | None = None
    table: str | None = None
    source: str | None = None
    status: str | None = None


class ComplianceOut(BaseModel):
    enterprise_id: str
    name: str
    year: int
    tce_equivalent: float
    tce_equal: float
    co2_t: float
    coverage: Coverage
    quota: QuotaUse | None
    energy_per_output: EnergyPerOutput | None
    products: list[ProductEnergy]
    notes: list[str]


class DayQuality(BaseModel):
    day: str
    amount: float = Field(description="energy of the day, in the meter's unit")
    completeness_pct: float = Field(description="share of the 96 quarter-hours received [%]")


class MeterQuality(BaseModel):
    meter_id: str
    carrier: str
    unit: str
    kind: str = Field(description="cumulative or interval")
    readings: int
    first_ts: str
    last_ts: str
    energy: float
    days: int
    complete_days: int
    incomplete_days: int
    lowest_completeness_pct: float | None
    resets: int
    gaps: int
    daily: list[DayQuality]


class TelemetryOut(BaseModel):
    enterprise_id: str
    meters: list[MeterQuality]
