"""Regions: targets, statistics, and the indicators — intensity on its path, CO2 and the peak."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Path, Query, Response, status

from api.answers import cached_report
from api.deps import Analyst, DbDep, Overseer, RegionDep, existing_region
from api.downloads import download, export_responses
from api.schemas.regions import (
    CarbonOut,
    ComparisonOut,
    IntensityOut,
    OverviewOut,
    RegionIn,
    RegionOut,
    RegionReportOut,
    StatisticsIn,
    StatisticsOut,
)
from carbon.errors import NotFound
from carbon.jsonable import records
from carbon.reports import region_carbon, region_comparison, region_intensity, region_overview
from carbon.reports.document import report_docx
from carbon.reports.exports import region_report_frames, to_csv_bytes, to_xlsx_bytes
from carbon.reports.statistics_layout import statistics_layout
from carbon.store import now_iso

router = APIRouter(prefix="/v1/regions", tags=["regions"])

TARGET_FIELDS = ("intensity_base_year", "intensity_base_value", "intensity_target_year", "intensity_target_value",
                 "peak_aim_year", "deduct_feedstock", "deduct_new_renewables", "gdp_target_year", "gdp_target_current")
Year = Path(ge=1990, le=2100)


def _region_out(region: dict[str, Any], statistics: list[dict[str, Any]]) -> dict[str, Any]:
    targets = {name: region.get(name) for name in TARGET_FIELDS}
    for flag in ("deduct_feedstock", "deduct_new_renewables"):
        targets[flag] = bool(targets[flag]) if targets[flag] is not None else None
    return {**{k: region.get(k) for k in ("code", "name", "name_en", "parent", "grid_region")}, "targets": targets,
            "statistics": statistics}


@router.post("", response_model=RegionOut, status_code=status.HTTP_201_CREATED,
             responses={200: {"model": RegionOut, "description": "the region existed and was updated"}})
def create_region(body: RegionIn, db: DbDep, principal: Overseer, response: Response) -> dict[str, Any]:
    """Create a region, or update its name, parent and targets (200)."""
    try:
        db.get_region(body.code)
        response.status_code = status.HTTP_200_OK
    except NotFound:
        pass
    if body.parent and body.parent != body.code:
        existing_region(db, body.parent)
    fields = body.model_dump(exclude={"code", "targets"}, exclude_none=True)
    if body.targets is not None:
        fields.update(body.targets.model_dump(exclude_none=True))
    region = db.upsert_region(body.code, **fields)
    return _region_out(region, records(db.statistics(body.code).reset_index()))


@router.get("", response_model=list[RegionOut])
def list_regions(db: DbDep, principal: Analyst) -> list[dict[str, Any]]:
    return [_region_out(region, []) for region in db.list_regions()]


# Declared before /{code}: "comparison" is not a region code.
@router.get("/comparison", response_model=ComparisonOut)
def comparison(db: DbDep, principal: Analyst,
               year: int | None = Query(default=None, ge=1990, le=2100,
                                        description="default: the latest year some region has energy and GDP for")
               ) -> dict[str, Any]:
    """Every region's energy intensity, its change on the previous year and its CO2 for one year, with or
    without a target."""
    return region_comparison(db, year)


@router.get("/{code}", response_model=RegionOut)
def get_region(db: DbDep, principal: Analyst, region: RegionDep) -> dict[str, Any]:
    return _region_out(region, records(db.statistics(region["code"]).reset_index()))


@router.put("/{code}/statistics/{year}", response_model=StatisticsOut)
def put_statistics(body: StatisticsIn, db: DbDep, principal: Overseer, region: RegionDep,
                   year: int = Year) -> dict[str, Any]:
    """Set a year's GDP (current and constant prices, 万元) and, optionally, official energy totals."""
    return db.put_statistics(region["code"], year, **body.model_dump(exclude_none=True))


@router.get("/{code}/intensity", response_model=IntensityOut, response_model_exclude_unset=True)
async def intensity(db: DbDep, principal: Analyst, region: RegionDep,
              gdp_growth_pct: float | None = Query(default=None, ge=-50, le=50,
                                                    description="real GDP growth of the next open year [%]"),
              gdp_forecast: float | None = Query(default=None, gt=0, le=1e12,
                                                 description="GDP of the next open year at constant prices [万元]")
              ) -> Response:
    """Per year: energy raw and adjusted, GDP, intensity, change, cumulative change, path value, on_track; plus
    the annual change still required, the projected target-year value and the next year's energy budget. A region
    without a target gets the series and yearly changes, the target fields null."""
    return await cached_report(region_intensity, db, region["code"], model=IntensityOut, exclude_unset=True,
                               gdp_growth_pct=gdp_growth_pct, gdp_forecast=gdp_forecast)


@router.get("/{code}/carbon", response_model=CarbonOut)
async def carbon(db: DbDep, principal: Analyst, region: RegionDep) -> Response:
    """CO2 per year, CO2 per GDP, the peak status by its documented rule, and the LMDI decomposition."""
    return await cached_report(region_carbon, db, region["code"], model=CarbonOut)


@router.get("/{code}/overview", response_model=OverviewOut, response_model_exclude_unset=True)
def overview(db: DbDep, principal: Analyst, region: RegionDep,
             year: int | None = Query(default=None, ge=1990, le=2100,
                                      description="default: the latest complete year")) -> dict[str, Any]:
    """A year: top enterprises by tce, tce and CO2 by carrier and industry, reports received, late, missing."""
    return region_overview(db, region["code"], year=year)


@router.get("/{code}/report", responses=export_responses(RegionReportOut))
def report(db: DbDep, principal: Analyst, region: RegionDep,
           format: str = Query(default="csv", pattern="^(csv|xlsx|docx|json)$")) -> Response:
    """The region report (intensity and CO2 by year, summary, decomposition) as CSV, XLSX, DOCX (printable) or
    JSON; all but JSON in the statistics layout (Chinese headers with units, values rounded as published)."""
    code = region["code"]
    frames = region_report_frames(region_intensity(db, code), region_carbon(db, code))
    if format == "json":
        return download(None, "json", code, {name: records(frame) for name, frame in frames.items()})
    published = statistics_layout(frames)  # Chinese headers with units, rounded as published
    if format == "csv":
        return download(to_csv_bytes(published["分年度指标"]), "csv", f"{code}-report")
    if format == "docx":  # the printable report
        document = report_docx(published, region_name=region["name"], region_code=code,
                               generated_at=now_iso())
        return download(document, "docx", f"{code}-report")
    return download(to_xlsx_bytes(published), "xlsx", f"{code}-report")
