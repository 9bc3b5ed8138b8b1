"""``carbon report``: a region's energy intensity against its target path, or its CO2 and peak status."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from carbon.cli.common import console, db_option, fail, fail_on, open_db, print_json
from carbon.cli.plans import assessment_report, print_co2_intensity
from carbon.errors import CarbonError, NotFound

__all__ = ["print_carbon", "print_intensity", "report_command"]


def _fmt(value: Any, pattern: str = "{:,.0f}") -> str:
    return "—" if value is None else pattern.format(value)


def _in(value: float | None, unit: str, target: str) -> float | None:
    """A stored value in a unit people read at a glance (万tce, 亿元), through the one registry."""
    from carbon.units import Q_

    return None if value is None else Q_(value, unit).to(target).magnitude


def print_intensity(report: dict[str, Any]) -> None:
    """The intensity report as a person reads it: a table by year against the path, then what is required."""
    target = report["target"]
    plan = (f", {target['base_value']} in {target['base_year']} → {target['target_value']} in "
            f"{target['target_year']}" if target else ", no target")
    table = Table(title=f"{report['name']} ({report['region']}) — energy intensity \\[tce/万元]{plan}",
                  title_justify="left")
    for column in ("year", "万tce", "GDP 亿元", "raw", "adjusted", "path", "Δ %", "cum. %", "on track", "cov. %"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in report["years"]:
        if row.get("intensity") is None and row.get("target_path") is None:
            continue
        on_track = {True: "[green]yes[/]", False: "[red]no[/]"}.get(row.get("on_track"), "")
        table.add_row(str(row["year"]), _fmt(_in(row.get("energy_tce"), "tce", "万tce"), "{:,.1f}"),
                      _fmt(_in(row.get("gdp_constant"), "万元", "亿元"), "{:,.1f}"),
                      _fmt(row.get("intensity"), "{:.4f}"), _fmt(row.get("intensity_adjusted"), "{:.4f}"),
                      _fmt(row.get("target_path"), "{:.4f}"), _fmt(row.get("change_pct"), "{:+.2f}"),
                      _fmt(row.get("cumulative_change_pct"), "{:+.2f}"), on_track,
                      _fmt(row.get("coverage_pct"), "{:.0f}"))
    console.print(table)
    console.print("[dim]raw/adjusted: energy per 万元 of GDP at constant prices, adjusted = minus the deductions "
                  "(feedstock, new renewables); cov.: share of the total reported by enterprises[/]")
    if report.get("required_annual_change_pct") is not None:
        console.print(f"To reach {target['target_value']} by {target['target_year']}: "
                      f"[bold]{report['required_annual_change_pct']:+.2f} %/yr[/] still required "
                      f"(the plan's constant rate: {target['annual_change_pct']:+.2f} %/yr).", highlight=False)
    if report.get("projected_target_value") is not None:
        verdict = "[green]on track[/]" if report.get("projected_on_track") else "[red]off track[/]"
        console.print(f"Recent trend ({_fmt(report.get('trend_annual_change_pct'), '{:+.2f}')} %/yr) projects "
                      f"{report['projected_target_value']:.4f} in {target['target_year']}: {verdict}.",
                      highlight=False)
    for note in report.get("notes", []):
        console.print(f"[dim]note: {note}[/]", highlight=False)


def print_carbon(report: dict[str, Any]) -> None:
    """The CO2 report as a person reads it: a table by year, then the peak status."""
    table = Table(title=f"{report['name']} ({report['region']}) — CO2", title_justify="left")
    for column in ("year", "万t CO2", "source", "t CO2/万元", "t CO2/tce"):
        table.add_column(column, justify="right", no_wrap=True)
    for row in report["years"]:
        table.add_row(str(row["year"]), _fmt(_in(row["co2_t"], "t", "万t"), "{:,.1f}"), row["source"] or "",
                      _fmt(row.get("co2_per_gdp"), "{:.4f}"), _fmt(row.get("co2_per_tce"), "{:.3f}"))
    console.print(table)
    peak = report["peak"]
    aim = f"; aim {peak['aim_year']}: {'met' if peak.get('meets_aim') else 'not met'}" if peak.get("aim_year") else ""
    projected = f", projected peak {peak['projected_peak_year']}" if peak.get("projected_peak_year") else ""
    console.print(f"Peak status: [bold]{peak['status']}[/] (highest year {peak.get('peak_year')}{projected}{aim}).",
                  highlight=False)
    print_co2_intensity(report.get("co2_intensity"))


@click.command("report")
@click.argument("kind", type=click.Choice(["intensity", "carbon", "assessment"]))
@click.option("--region", "code", required=True, help="Region code, e.g. gz-htz.")
@click.option("--gdp-growth", type=float, help="Real GDP growth of the next open year [%], for its energy budget.")
@click.option("--plan", help="The plan to assess (assessment), e.g. 14th-fyp.")
@db_option
@click.option("--json", "as_json", is_flag=True)
def report_command(kind: str, code: str, gdp_growth: float | None, plan: str | None, db_path: str | None,
                   as_json: bool) -> None:
    """A region's energy intensity against its target path, its CO2 and peak status, or a plan's assessment."""
    from carbon.reports import MissingTarget, region_carbon, region_intensity

    if kind == "assessment":
        assessment_report(db_path, code, plan, as_json)
        return

    with open_db(db_path) as store:
        try:
            report = (region_intensity(store, code, gdp_growth_pct=gdp_growth) if kind == "intensity"
                      else region_carbon(store, code))
        except NotFound:  # the only row a region report looks up is the region
            fail(f"no region {code!r}", f"create it with `carbon region add {code} --name …`")
        except CarbonError as error:
            fail_on(error, {MissingTarget: f"set them with `carbon region add {code} --name … --base-year … "
                                           "--base-value … --target-year … --target-value …`"})
    if as_json:
        print_json(report)
    elif kind == "intensity":
        print_intensity(report)
    else:
        print_carbon(report)
