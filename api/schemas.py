"""Request and response bodies (pydantic), in families: ``…In`` for what comes in, ``…Out`` for what goes out."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from carbon.access import Role
from carbon.identifiers import IDENTIFIER_PATTERN, MAX_IDENTIFIER_LENGTH

Identifier = Field(min_length=1, max_length=MAX_IDENTIFIER_LENGTH, pattern=IDENTIFIER_PATTERN)
Finite = ConfigDict(allow_inf_nan=False)  # JSON from Python clients may carry Infinity and NaN
MAX_RECORDS = 10_000


class HealthOut(BaseModel):
    status: Literal["ok"]
    database: str
    factor_version: str
    version: str


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
    ncv: float | None = Field(default=None, gt=0)
    ncv_unit: str | None = Field(default=None, max_length=64)


class FactorOut(BaseModel):
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


class TargetsIn(BaseModel):
    model_config = Finite
    intensity_base_year: int | None = Field(default=None, ge=1990, le=2100)
    intensity_base_value: float | None = Field(default=None, gt=0, le=100)
    intensity_target_year: int | None = Field(default=None, ge=1990, le=2100)
    intensity_target_value: float | None = Field(default=None, gt=0, le=100)
    peak_aim_year: int | None = Field(default=None, ge=1990, le=2100)
    deduct_feedstock: bool | None = None
    deduct_new_renewables: bool | None = None
    gdp_target_year: int | None = Field(default=None, ge=1990, le=2100)
    gdp_target_current: float | None = Field(default=None, gt=0, le=1e12)


class RegionIn(BaseModel):
    code: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    parent: str | None = Field(default=None, max_length=64)
    grid_region: str | None = Field(default=None, max_length=64,
                                    description="grid region or province of its electricity factor, e.g. guangdong")
    targets: TargetsIn | None = None


class RegionOut(BaseModel):
    code: str
    name: str
    name_en: str | None = None
    parent: str | None = None
    grid_region: str | None = None
    targets: dict[str, Any]
    statistics: list[dict[str, Any]] = []


class StatisticsIn(BaseModel):
    model_config = Finite
    gdp_current: float = Field(gt=0, le=1e12, description="GDP at current prices [10 000 yuan]")
    gdp_constant: float = Field(gt=0, le=1e12, description="GDP at constant prices [10 000 yuan]")
    energy_total_tce: float | None = Field(default=None, ge=0, le=1e12)
    feedstock_tce: float | None = Field(default=None, ge=0, le=1e12)
    renewable_tce: float | None = Field(default=None, ge=0, le=1e12)
    co2_total_t: float | None = Field(default=None, ge=0, le=1e13)
    sources: dict[str, str] | None = None


class EnterpriseIn(BaseModel):
    id: str = Identifier
    name: str = Field(min_length=1, max_length=200)
    region: str = Field(min_length=1, max_length=64)
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


class ConsumptionRecord(BaseModel):
    """One monthly figure. Values are checked by the same validation as files: a bad one is rejected with
    its index and reason, while the good records of the same request are kept."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    period: str | None = Field(default=None, max_length=32, description="YYYY-MM")
    carrier: str | None = Field(default=None, max_length=64)
    quantity: float | str | None = None
    unit: str | None = Field(default=None, max_length=64)
    purpose: str | None = Field(default=None, max_length=32, description="fuel or feedstock")
    renewable: bool | None = None
    ncv: float | str | None = None
    ncv_unit: str | None = Field(default=None, max_length=64)
    submitted_at: str | None = Field(default=None, max_length=40)


class ConsumptionIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"records": [
        {"period": "2024-03", "carrier": "电力", "quantity": 120.5, "unit": "万千瓦时"}]}]})
    records: list[ConsumptionRecord] = Field(min_length=1, max_length=MAX_RECORDS)


class Rejection(BaseModel):
    index: int
    field: str
    reason: str
    value: str | None = None


class IngestOut(BaseModel):
    batch_id: str
    source: str
    read: int
    accepted: int
    unchanged: int
    revised: int
    rejected: list[Rejection]
    rejected_count: int


class ReadingIn(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
    meter_id: str | None = Field(default=None, max_length=64)
    ts: str | None = Field(default=None, max_length=40, description="ISO 8601, e.g. 2025-06-01T00:15:00+08:00")
    value: float | str | None = None
    unit: str | None = Field(default=None, max_length=32)
    carrier: str | None = Field(default=None, max_length=64)
    kind: str | None = Field(default=None, max_length=16, description="cumulative or interval")


class ReadingsIn(BaseModel):
    readings: list[ReadingIn] = Field(min_length=1, max_length=MAX_RECORDS)


class EnergyRow(BaseModel):
    key: dict[str, Any]
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


class AuditEntryOut(BaseModel):
    seq: int
    ts: str
    actor: str
    action: str
    entity: str
    entity_key: str | None = None
    enterprise_id: str | None = None
    batch_id: str | None = None
    old: dict[str, Any] | None = None
    new: dict[str, Any] | None = None
    content_count: int | None = None
    hash: str


class VerifyOut(BaseModel):
    ok: bool
    entries: int
    batches_checked: int
    first_broken_seq: int | None
    problems: list[str]


class JobOut(BaseModel):
    name: str
    description: str
    schedule: str
    next_run: str | None = None
    last_run: dict[str, Any] | None = None


class JobRunOut(BaseModel):
    job: str
    run_id: int
    status: str
    counts: dict[str, Any]
    error: str | None = None


class TokenIn(BaseModel):
    role: Role
    enterprise_id: str | None = Field(default=None, max_length=64)
    label: str | None = Field(default=None, max_length=200)
    days: int = Field(default=365, gt=0, le=3650)


class TokenOut(BaseModel):
    id: str
    token: str = Field(description="shown once; store it now")
    role: str
    enterprise_id: str | None = None
