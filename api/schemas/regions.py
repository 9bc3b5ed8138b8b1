"""Regions: their targets and statistics in; intensity on its path, CO2 and the peak, and a year's overview out."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from api.schemas.common import Finite, Identifier, JsonObject, Text
from api.schemas.plans import IndicatorOut
from carbon.indicators.intensity import OnTrackBasis
from carbon.indicators.peak import PeakStatusName

__all__ = [
    "CarbonOut", "CarbonYear", "CarrierCo2", "CarrierShare", "ComparisonOut", "ComparisonRegion", "Completeness",
    "DecompositionRow", "IndustryShare", "IntensityOut", "IntensityTargetOut", "IntensityYear", "MonthCompleteness",
    "OverviewOut", "PeakOut", "RegionIn", "RegionOut", "RegionReportOut", "ReportItem", "StatisticsIn", "StatisticsOut",
    "TargetsIn", "TargetsOut", "TopEnterprise",
]


class TargetsIn(BaseModel):
    model_config = Finite
    intensity_base_year: int | None = Field(default=None, ge=1990, le=2100)
    intensity_base_value: float | None = Field(default=None, gt=0, le=100, description="[tce/万元]")
    intensity_target_year: int | None = Field(default=None, ge=1990, le=2100)
    intensity_target_value: float | None = Field(default=None, gt=0, le=100, description="[tce/万元]")
    peak_aim_year: int | None = Field(default=None, ge=1990, le=2100)
    deduct_feedstock: bool | None = None
    deduct_new_renewables: bool | None = None
    gdp_target_year: int | None = Field(default=None, ge=1990, le=2100)
    gdp_target_current: float | None = Field(default=None, gt=0, le=1e12, description="[万元]")


class TargetsOut(BaseModel):
    """A region's targets as stored (null where not set)."""

    intensity_base_year: int | None
    intensity_base_value: float | None
    intensity_target_year: int | None
    intensity_target_value: float | None
    peak_aim_year: int | None
    deduct_feedstock: bool | None
    deduct_new_renewables: bool | None
    gdp_target_year: int | None
    gdp_target_current: float | None


class RegionIn(BaseModel):
    code: Identifier
    name: Text
    name_en: str | None = Field(default=None, max_length=200)
    parent: str | None = Field(default=None, max_length=64)
    grid_region: str | None = Field(default=None, max_length=64,
                                    description="grid region or province of its electricity factor, e.g. guangdong")
    targets: TargetsIn | None = None


class StatisticsIn(BaseModel):
    model_config = Finite
    gdp_current: float = Field(gt=0, le=1e12, description="GDP at current prices [10 000 yuan]")
    gdp_constant: float = Field(gt=0, le=1e12, description="GDP at constant prices [10 000 yuan]")
    energy_total_tce: float | None = Field(default=None, ge=0, le=1e12)
    feedstock_tce: float | None = Field(default=None, ge=0, le=1e12)
    renewable_tce: float | None = Field(default=None, ge=0, le=1e12)
    co2_total_t: float | None = Field(default=None, ge=0, le=1e13)
    sources: dict[str, str] | None = None


class StatisticsOut(BaseModel):
    """A region's statistics of one year as stored."""

    region: str
    year: int
    gdp_current: float | None = Field(description="[万元]")
    gdp_constant: float | None = Field(description="[万元]")
    energy_total_tce: float | None
    feedstock_tce: float | None
    renewable_tce: float | None
    co2_total_t: float | None
    sources: Annotated[dict[str, str] | None, JsonObject] = Field(description="where each figure comes from")
    updated_at: str | None


class RegionOut(BaseModel):
    code: str
    name: str
    name_en: str | None = None
    parent: str | None = None
    grid_region: str | None = None
    targets: TargetsOut
    statistics: list[StatisticsOut] = []


class IntensityTargetOut(BaseModel):
    base_year: int
    base_value: float = Field(description="[tce/万元]")
    target_year: int
    target_value: float = Field(description="[tce/万元]")
    deduct_feedstock: bool
    deduct_new_renewables: bool
    unit: str
    total_change_pct: float = Field(description="base year to target year [%]")
    annual_change_pct: float = Field(description="the plan's constant annual rate [%/yr]")


class IntensityYear(BaseModel):
    """One year against the path: energy [tce], GDP [万元], intensities [tce/万元], changes [%]."""

    year: int
    energy_tce: float | None
    feedstock_deducted_tce: float | None
    renewables_deducted_tce: float | None
    energy_adjusted_tce: float | None
    gdp_constant: float | None
    intensity: float | None
    intensity_adjusted: float | None
    change_pct_raw: float | None
    change_pct: float | None
    cumulative_change_pct_raw: float | None
    cumulative_change_pct: float | None
    target_path: float | None
    target_cumulative_change_pct: float | None
    on_track: bool | None
    # present for the years with statistics or enterprise data (not for plan years still ahead)
    energy_source: str | None = Field(default=None, description="official or bottom_up")
    bottom_up_tce: float | None = None
    coverage_pct: float | None = Field(default=None, description="share of the official total reported [%]")
    months: int | None = None
    enterprises: int | None = None
    gdp_current: float | None = None


class IntensityOut(BaseModel):
    """The intensity series against the target path; a region without a target gets the series and yearly
    changes with the target fields null."""

    region: str
    name: str
    target: IntensityTargetOut | None = Field(description="null: the region has no intensity target yet")
    unit: str
    years: list[IntensityYear]
    on_track_rule: str
    trend_rule: str
    on_track_basis: OnTrackBasis | None
    base_intensity_adjusted: float | None
    latest_year: int | None
    latest_intensity_adjusted: float | None
    open_years: list[int]
    target_equivalent_value: float | None
    path_annual_change_pct: float | None
    required_annual_change_pct: float | None
    trend_annual_change_pct: float | None
    trend_years: list[int]
    projected_target_value: float | None
    projected_on_track: bool | None
    budget_year: int | None
    budget_gdp_constant: float | None
    energy_budget_adjusted_tce: float | None
    energy_budget_tce: float | None
    budget_assumption: str | None
    notes: list[str]


class ComparisonRegion(BaseModel):
    """One region in a year: energy [tce], GDP [万元], intensity [tce/万元], change [%], CO2 [t]."""

    region: str
    name: str
    energy_tce: float | None
    gdp_constant: float | None
    intensity: float | None = Field(description="energy / GDP at constant prices [tce/万元]")
    change_pct: float | None = Field(description="intensity change on the previous year [%]")
    co2_t: float | None
    co2_per_gdp: float | None = Field(description="[t CO2/万元]")
    energy_source: str | None = Field(description="official or bottom_up")
    target_year: int | None = Field(description="null: no intensity target")
    target_value: float | None


class ComparisonOut(BaseModel):
    """Every region's intensity for one year, lowest first (regions without data last)."""

    year: int | None
    unit: str
    regions: list[ComparisonRegion]


class CarbonYear(BaseModel):
    year: int
    co2_t: float
    source: str | None = Field(description="official, estimated or bottom_up (see `sources`)")
    bottom_up_co2_t: float | None
    coverage_pct: float | None
    energy_tce: float | None
    gdp_constant: float | None
    co2_per_gdp: float | None = Field(description="[t CO2/万元]")
    co2_per_tce: float | None


class PeakOut(BaseModel):
    """Where the CO2 series stands with respect to its peak, by the rule stated in `rule`."""

    status: PeakStatusName
    peak_year: int | None
    peak_value: float | None
    last_year: int | None
    last_value: float | None
    years_since_peak: int | None
    years_below_band: int
    band_pct: float
    confirm_years: int
    trend_years: int
    alpha: float
    trend_from: int | None
    trend_to: int | None
    sen_slope: float | None
    sen_slope_pct: float | None
    mann_kendall_s: int | None = Field(description="classic Mann-Kendall S over the trend window")
    mann_kendall_var_s: float | None = Field(description="Var(S), corrected for ties")
    mann_kendall_z: float | None = Field(description="Z with continuity correction")
    mann_kendall_tau: float | None
    mann_kendall_p: float | None
    post_peak_sen_slope: float | None
    projected_peak_year: int | None = Field(
        description="pre_peak only; null when the fit gives none or lies more than 10 years beyond the data")
    projection_note: str | None
    aim_year: int | None
    meets_aim: bool | None
    rule: str


class DecompositionRow(BaseModel):
    """LMDI: the change of CO2 from one year to the next split into GDP, energy- and carbon-intensity effects."""

    year: int
    from_year: int
    delta_co2: float | None
    gdp_effect: float | None
    energy_intensity_effect: float | None
    carbon_intensity_effect: float | None
    status: str = Field(description="ok or skipped")
    reason: str | None


class CarrierCo2(BaseModel):
    year: int
    carrier: str
    co2_t: float
    tce_equivalent: float


class IntensityPositionYear(BaseModel):
    year: int
    value: float
    change_pct: float | None = Field(description="against the year before [%]")
    path: float | None = Field(description="the plan's constant-rate path in this year")
    cumulative_change_pct: float | None = Field(description="since the plan's base year [%]")
    on_track: bool | None


class IntensityPositionOut(BaseModel):
    """An intensity year by year on the constant-rate path of the plan in force, and the change still required."""

    plan: str | None
    indicator: IndicatorOut | None
    path_annual_change_pct: float | None = Field(description="the plan's constant rate [%/yr]")
    required_annual_change_pct: float | None = Field(description="still required from the latest year [%/yr]")
    notes: list[str]
    years: list[IntensityPositionYear]


class CarbonOut(BaseModel):
    region: str
    name: str
    unit: str
    years: list[CarbonYear]
    sources: dict[str, str] = Field(description="what each `source` of a year means")
    peak: PeakOut
    decomposition: list[DecompositionRow]
    by_carrier: list[CarrierCo2]
    co2_intensity: IntensityPositionOut = Field(description="CO2 per 万元 of GDP [t CO2/万元] on its plan's path")


class TopEnterprise(BaseModel):
    enterprise_id: str
    name: str | None
    industry: str | None
    industry_name: str | None = Field(default=None, description="GB/T 4754-2017 name of the industry")
    tce_equivalent: float
    co2_t: float
    share_pct: float | None = Field(description="share of the region's tce [%]")


class CarrierShare(BaseModel):
    carrier: str
    carrier_zh: str
    tce_equivalent: float
    co2_t: float


class IndustryShare(BaseModel):
    industry: str | None
    industry_name: str | None = Field(default=None, description="GB/T 4754-2017 name of the industry")
    tce_equivalent: float
    co2_t: float
    enterprises: int


class MonthCompleteness(BaseModel):
    """A partition of the reports expected: ``on_time + late + missing = expected``; received = on time + late."""

    period: str
    expected: int
    received: int
    on_time: int
    late: int
    missing: int


class Completeness(BaseModel):
    """Monthly reports expected, as on time, late (after day 15 of the next month) and missing."""

    enterprises: int
    expected: int
    received: int
    on_time: int
    late: int
    missing: int
    by_month: list[MonthCompleteness]


class OverviewOut(BaseModel):
    region: str
    name: str
    year: int | None = Field(description="null when the region has no data yet")
    total_tce: float | None = Field(default=None, description="absent when the region has no data yet")
    top_enterprises: list[TopEnterprise]
    by_carrier: list[CarrierShare]
    by_industry: list[IndustryShare]
    completeness: Completeness


ReportCell = float | str | bool | None


class ReportItem(BaseModel):
    item: str
    value: ReportCell


class RegionReportOut(BaseModel):
    """The region report as tables (the JSON form of the CSV/XLSX export)."""

    by_year: list[dict[str, ReportCell]] = Field(description="intensity and CO2 side by side, one row per year, "
                                                              "keyed by the CSV's columns")
    summary: list[ReportItem] = Field(description="what is required, the projection, the target and the peak")
    decomposition: list[DecompositionRow]
