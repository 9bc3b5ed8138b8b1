"""Green-finance screening: the request, the verdict criterion by criterion, activities and product limits."""

from __future__ import annotations

from pydantic import BaseModel, Field, model_validator

from api.schemas.common import Coverage

__all__ = [
    "ActivityOut", "CategoryLevel", "CriterionOut", "GroupOut", "IndustryCheckOut", "MetricDetail", "ProductLimitOut",
    "ScreeningIn", "ScreeningOut",
]

Metric = float | str | bool


class ScreeningIn(BaseModel):
    framework: str = Field(min_length=1, max_length=64, description="eu_taxonomy or cn_green_finance_2025")
    activity: str = Field(min_length=1, max_length=128)
    metrics: dict[str, Metric] | None = Field(default=None, max_length=50)
    enterprise_id: str | None = Field(default=None, max_length=64,
                                      description="screen from this enterprise's stored data instead of metrics")
    year: int | None = Field(default=None, ge=2000, le=2100,
                             description="with enterprise_id: the year screened; the latest complete year by default")

    @model_validator(mode="after")
    def _one_source(self) -> ScreeningIn:
        if self.metrics is None and self.enterprise_id is None:
            raise ValueError("give either metrics or an enterprise_id (with a year) to screen from stored data")
        return self


class CategoryLevel(BaseModel):
    code: str
    name: str


class CriterionOut(BaseModel):
    """The verdict on one criterion, with the threshold and where it is published."""

    id: str
    name: str
    metric: str
    value: Metric | None = Field(description="the value compared, in `unit`; null when missing")
    threshold: Metric
    operator: str
    unit: str
    group: str | None = Field(description="name: an any-of group; alternative=route[/name]: a route of an "
                                          "alternative (one route must pass, all of its members)")
    passed: bool | None
    missing: bool
    source: str
    status: str
    valid_from: str
    note: str


class GroupOut(BaseModel):
    group: str
    mode: str = Field(description="all (one criterion, or all members of a route) or any (an any-of group, or "
                                  "the routes of an alternative)")
    criteria: list[str]
    passed: bool | None = Field(description="null: not assessed (a condition not stated), never a pass")
    parent: str | None = Field(default=None, description="the route or alternative a nested group belongs to; "
                                                         "the verdict combines the groups without one")


class IndustryCheckOut(BaseModel):
    """The screened enterprise's GB/T 4754 class against the activity's classes."""

    industry: str | None
    expected: list[str] = Field(description="GB/T 4754 class prefixes of the activity; empty: any industry")
    matches: bool | None = Field(description="null: not checked (no mapping, or no industry registered)")
    note: str


class ScreeningOut(BaseModel):
    framework: str
    activity: str
    name_zh: str | None
    name_en: str | None
    category: dict[str, CategoryLevel] | None = Field(description="level1, level2, level3 as far as known")
    covered: bool = Field(default=True, description="this service has rules for the activity; false: not covered "
                                                    "by this service, which says nothing on its eligibility")
    eligible: bool | None = Field(description="the framework lists the activity; null when not covered")
    aligned: bool = Field(description="eligible, and every group of criteria passes")
    reason: str
    criteria: list[CriterionOut]
    groups: list[GroupOut]
    missing: list[str] = Field(description="metrics a criterion needs and the request lacks")
    ignored_metrics: list[str] = Field(description="metrics of the request no criterion reads")
    source: str | None
    status: str | None
    rules_version: str
    # when screened from an enterprise's stored data
    enterprise_id: str | None = None
    year: int | None = None
    metrics_from_data: dict[str, float] | None = None
    coverage: Coverage | None = None
    notes: list[str] | None = None
    industry: IndustryCheckOut | None = Field(default=None, description="when screening an enterprise")


class MetricDetail(BaseModel):
    metric: str
    unit: str = Field(description="unit a bare number is read in; empty for counts, grades and yes/no")
    label: str


class ActivityOut(BaseModel):
    framework: str
    activity: str
    name_zh: str
    name_en: str
    category: dict[str, CategoryLevel]
    metrics: list[str]
    criteria: int = Field(description="how many criteria")
    metric_details: list[MetricDetail]
    source: str
    status: str


class ProductLimitOut(BaseModel):
    """A product's unit-energy limit, entry and advanced values under its 能耗限额 standard (lower is better)."""

    product: str
    name_zh: str
    name_en: str
    indicator: str
    edition: str
    table: str
    unit: str
    published_unit: str
    advanced: float | None
    entry: float | None
    limit: float
    valid_from: str | None
    source: str
    status: str
    note: str


