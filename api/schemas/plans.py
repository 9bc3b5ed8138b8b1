"""Request and response bodies of plans, their assessment and project reviews."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Kind = Literal["energy_intensity", "co2_intensity", "energy_total", "co2_total", "non_fossil_share"]
Decision = Literal["approved", "approved_with_conditions", "rejected"]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-1e15, le=1e15)]
Year = Annotated[int, Field(ge=1900, le=2200)]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IndicatorIn(_In):
    """One target of a plan: a target value or a cumulative change in %, binding or indicative, with its source."""

    kind: Kind
    base_year: Year
    target_year: Year
    target_value: Number | None = Field(default=None, description="value in the target year, in the kind's unit")
    change_pct: Number | None = Field(default=None, description="cumulative change from the base year [%]")
    base_value: Number | None = Field(default=None, description="published base-year value; default: measured")
    binding: bool = True
    source: str | None = Field(default=None, max_length=1000)


class PlanIn(_In):
    indicators: list[IndicatorIn] = Field(max_length=20)


class IndicatorOut(BaseModel):
    kind: str
    base_year: int
    target_year: int
    target_value: float | None = None
    change_pct: float | None = None
    base_value: float | None = None
    binding: bool
    source: str | None = None
    unit: str
    total_change_pct: float | None = None
    annual_change_pct: float | None = Field(default=None, description="the constant-rate path [%/yr]")


class PlanOut(BaseModel):
    region: str
    plan: str
    indicators: list[IndicatorOut]


class PlanListOut(BaseModel):
    region: str
    plans: list[str]


class AssessmentYear(BaseModel):
    year: int
    value: float | None = None
    status: Literal["measured", "projected", "no data"]
    path: float | None = None
    change_pct: float | None = None
    cumulative_change_pct: float | None = None
    path_cumulative_change_pct: float | None = None
    achieved: bool | None = None


class AssessmentResult(BaseModel):
    year: int | None = None
    value: float | None = None
    cumulative_change_pct: float | None = None
    planned_change_pct: float | None = None
    progress_pct: float | None = Field(default=None, description="share of the planned change achieved [%]")
    achieved: bool | None = None
    final: bool
    projected: bool
    required_annual_change_pct: float | None = None
    summary: str


class IndicatorAssessment(BaseModel):
    indicator: IndicatorOut
    base_value: float | None = None
    base_source: Literal["measured", "published", "unknown"]
    years: list[AssessmentYear]
    result: AssessmentResult


class AssessmentOut(BaseModel):
    region: str
    name: str
    plan: str
    indicators: list[IndicatorAssessment]
    summary: list[str]
    notes: list[str]


class ProjectEnergyIn(_In):
    carrier: str = Field(min_length=1, max_length=64, examples=["电力"])
    quantity: Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e12)]
    unit: str = Field(min_length=1, max_length=32, examples=["万千瓦时"])


class ProjectProductIn(_In):
    product: str = Field(min_length=1, max_length=64, examples=["cement_clinker"])
    quantity: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e12)]
    unit: str = Field(min_length=1, max_length=32, examples=["t"])
    unit_energy: Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e9)] = Field(
        description="designed unit-product energy consumption, in the standard's unit (kgce/t …)")


class ProjectScreeningIn(_In):
    framework: str = Field(min_length=1, max_length=64)
    activity: str = Field(min_length=1, max_length=200)
    metrics: dict[str, float | bool | str] = Field(default_factory=dict, max_length=50)


class ProjectIn(_In):
    """A proposed fixed-asset investment project: annual energy per carrier, output value and value added."""

    region: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    industry: str | None = Field(default=None, max_length=16, description="GB/T 4754-2017 code")
    kind: Literal["new", "rebuild"] = "new"
    start_year: Annotated[int, Field(ge=2000, le=2100)]
    energy: list[ProjectEnergyIn] = Field(min_length=1, max_length=50)
    output_value: Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e12)] | None = None
    value_added: Annotated[float, Field(allow_inf_nan=False, gt=0, le=1e12)] | None = None
    products: list[ProjectProductIn] = Field(default_factory=list, max_length=50)
    screening: ProjectScreeningIn | None = None


class ReviewReason(BaseModel):
    severity: Literal["blocking", "concern", "info"]
    reason: str


class ReviewOut(BaseModel):
    """The review: totals with their factors, review level, position against the region, products, verdict."""

    region: str
    name: str | None = None
    kind: str | None = None
    start_year: int
    annual_tce_equivalent: float | None = Field(description="electricity at 当量值 [tce/a]")
    annual_tce_equal: float | None = Field(description="electricity at 等价值 [tce/a]")
    annual_co2_t: float | None
    annual_kwh: float | None
    by_carrier: list[dict[str, Any]]
    review_level: Literal["exempt", "local", "provincial"]
    review_level_reason: str
    thresholds: dict[str, Any]
    against_region: dict[str, Any]
    room: list[dict[str, Any]]
    products: list[dict[str, Any]]
    screening: dict[str, Any] | None = None
    verdict: Literal["recommended", "conditional", "not_recommended"]
    reasons: list[ReviewReason]
    notes: list[str]


class ProjectOut(BaseModel):
    id: int
    region: str
    name: str
    industry: str | None = None
    kind: str | None = None
    start_year: int | None = None
    status: Literal["pending", "approved", "approved_with_conditions", "rejected"]
    annual_tce_equivalent: float | None = None
    annual_tce_equal: float | None = None
    annual_co2_t: float | None = None
    review_level: str | None = None
    verdict: str | None = None
    decision_reason: str | None = None
    decided_by: str | None = None
    decided_at: str | None = None
    created_by: str | None = None
    created_at: str | None = None
    request: dict[str, Any] | None = None
    review: ReviewOut | None = None


class DecisionIn(_In):
    decision: Decision
    reason: str = Field(min_length=1, max_length=2000)


class ThresholdIn(_In):
    value: Annotated[float, Field(allow_inf_nan=False, ge=0, le=1e12)] | None = Field(
        description="null removes the region's override")
    source: str | None = Field(default=None, max_length=1000)


class ThresholdsIn(_In):
    exempt_tce_below: ThresholdIn | None = None
    exempt_kwh_below: ThresholdIn | None = None
    provincial_tce_at_least: ThresholdIn | None = None


class ThresholdsOut(BaseModel):
    region: str
    thresholds: dict[str, Any] = Field(description="in force: the package's edition with the region's overrides")
    overrides: dict[str, Any]
