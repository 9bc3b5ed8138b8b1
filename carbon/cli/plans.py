"""The ``carbon`` commands of plans: ``carbon region plan``, ``carbon report assessment`` and the demo's summary."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
from rich.table import Table

from carbon.cli.common import console, db_option, fail, open_db, print_json
from carbon.errors import CarbonError
from carbon.store import Store

__all__ = [
    "DEMO_15TH_PLAN", "assessment_report", "plan_command", "print_assessment", "print_co2_intensity",
    "print_plans_summary",
]

# The zone's own 15th-plan allocation is not published: the demo applies the national target (FACTS §8).
DEMO_15TH_PLAN = [{
    "kind": "co2_intensity", "base_year": 2025, "target_year": 2030, "change_pct": -17.0, "binding": True,
    "source": "national target applied: 15th five-year plan outline (2026-03-05), CO2 per unit of GDP -17 % "
              "cumulative; the zone's own allocation is not published",
}]


def _fmt(value: Any, pattern: str) -> str:
    return "—" if value is None else pattern.format(value)


def _indicator_from_options(options: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in options.items() if value is not None}


def print_plan(plan: dict[str, Any]) -> None:
    table = Table(title=f"{plan['region']} — plan {plan['plan']}", title_justify="left")
    for column in ("indicator", "unit", "base", "target", "base value", "target value", "change %", "%/yr",
                   "binding", "source"):
        table.add_column(column, no_wrap=column != "source")
    for item in plan["indicators"]:
        table.add_row(item["kind"], item["unit"], str(item["base_year"]), str(item["target_year"]),
                      _fmt(item["base_value"], "{:.4g}"), _fmt(item["target_value"], "{:.4g}"),
                      _fmt(item["total_change_pct"], "{:+.2f}"), _fmt(item["annual_change_pct"], "{:+.2f}"),
                      "binding" if item["binding"] else "indicative", item.get("source") or "")
    console.print(table)


@click.command("plan")
@click.argument("code")
@click.argument("plan")
@click.option("--kind", type=click.Choice(["energy_intensity", "co2_intensity", "energy_total", "co2_total",
                                           "non_fossil_share"]), help="Set (or replace) this indicator of the plan.")
@click.option("--base-year", type=int)
@click.option("--target-year", type=int)
@click.option("--target-value", type=float, help="Value in the target year, in the kind's unit.")
@click.option("--change-pct", type=float, help="Cumulative change from the base year [%], e.g. -17.")
@click.option("--base-value", type=float, help="Published base-year value (default: the measured one).")
@click.option("--binding/--indicative", default=True, show_default=True)
@click.option("--source", help="Where the target comes from.")
@click.option("--file", "file", type=click.Path(exists=True, dir_okay=False),
              help='JSON {"indicators": [...]} replacing the whole plan.')
@db_option
@click.option("--json", "as_json", is_flag=True)
def plan_command(code: str, plan: str, kind: str | None, file: str | None, db_path: str | None, as_json: bool,
                 **options: Any) -> None:
    """Show a region's plan (14th-fyp, 15th-fyp …), set one indicator of it (--kind …), or replace it (--file)."""
    from carbon.reports.plan_targets import plan_rows, region_plan, set_plan

    with open_db(db_path) as store:
        try:
            if file:
                indicators = json.loads(Path(file).read_text(encoding="utf-8")).get("indicators", [])
                set_plan(store, code, plan, indicators)
            elif kind:
                current = [row for row in plan_rows(store, code, plan) if row["kind"] != kind]
                set_plan(store, code, plan, [*current, {"kind": kind, **_indicator_from_options(options)}])
            shown = region_plan(store, code, plan)
        except CarbonError as error:
            fail(str(error), "see `carbon region plan --help`")
    if as_json:
        print_json(shown)
    else:
        print_plan(shown)


def print_assessment(report: dict[str, Any]) -> None:
    """The assessment as a person reads it: a table per indicator, then its result in a sentence."""
    for item in report["indicators"]:
        indicator = item["indicator"]
        table = Table(title=f"{report['name']} ({report['region']}) — {report['plan']} {indicator['kind']} "
                            f"\\[{indicator['unit']}], {indicator['base_year']} → {indicator['target_year']} "
                            f"({'binding' if indicator['binding'] else 'indicative'})", title_justify="left")
        for column in ("year", "value", "path", "Δ %", "cum. %", "path cum. %", "achieved", "status"):
            table.add_column(column, justify="right", no_wrap=True)
        for row in item["years"]:
            achieved = {True: "[green]yes[/]", False: "[red]no[/]"}.get(row["achieved"], "")
            table.add_row(str(row["year"]), _fmt(row["value"], "{:.4g}"), _fmt(row["path"], "{:.4g}"),
                          _fmt(row["change_pct"], "{:+.2f}"), _fmt(row["cumulative_change_pct"], "{:+.2f}"),
                          _fmt(row["path_cumulative_change_pct"], "{:+.2f}"), achieved, row["status"])
        console.print(table)
        console.print(f"[bold]{item['result']['summary']}[/]", highlight=False)
    for note in report.get("notes", []):
        console.print(f"[dim]note: {note}[/]", highlight=False)


def assessment_report(db_path: str | None, code: str, plan: str | None, as_json: bool) -> None:
    """``carbon report assessment --region CODE --plan PLAN``."""
    from carbon.reports.plans import plan_assessment

    if not plan:
        fail("carbon report assessment needs a plan", "add --plan, e.g. --plan 14th-fyp")
    with open_db(db_path) as store:
        try:
            report = plan_assessment(store, code, plan)
        except CarbonError as error:
            fail(str(error), f"see the region's plans with `carbon region plan {code} PLAN`")
    if as_json:
        print_json(report)
    else:
        print_assessment(report)


def print_co2_intensity(position: dict[str, Any] | None) -> None:
    """CO2 intensity on its plan's path, after the carbon report's table: the rate of the path and what is required."""
    if not position or position.get("plan") is None:
        return
    latest = position["years"][-1] if position.get("years") else None
    on_track = {True: "[green]on the path[/]", False: "[red]above the path[/]"}.get(latest.get("on_track")) \
        if latest else None
    console.print(f"CO2 intensity, plan {position['plan']}: path {_fmt(position['path_annual_change_pct'], '{:+.2f}')}"
                  f" %/yr; still required {_fmt(position['required_annual_change_pct'], '{:+.2f}')} %/yr"
                  + (f"; {latest['year']}: {on_track}" if on_track else "") + ".", highlight=False)
    for note in position.get("notes", []):
        console.print(f"[dim]note: {note}[/]", highlight=False)


def print_plans_summary(store: Store, code: str) -> None:
    """The demo's addition: the 14th plan's assessment and the 15th plan's CO2-intensity position.

    The 15th plan is set to the national −17 % when the region has none (and the demo says so).
    """
    from carbon.reports.plan_targets import set_plan
    from carbon.reports.plans import carbon_position, plan_assessment

    if "15th-fyp" not in store.plan_names(code):
        set_plan(store, code, "15th-fyp", DEMO_15TH_PLAN)
    print_assessment(plan_assessment(store, code, "14th-fyp"))
    position = carbon_position(store, code, "co2_intensity")
    indicator = position.get("indicator") or {}
    console.print(f"\n15th plan, CO2 intensity \\[t CO2/万元]: {indicator.get('source') or 'no target set'}.",
                  highlight=False)
    for row in position["years"][-3:]:
        mark = " (projected)" if row.get("projected") else ""
        console.print(f"  {row['year']}: {row['value']:.4f}{mark}, {_fmt(row['change_pct'], '{:+.2f}')} % on the "
                      "year before", highlight=False)
    if position.get("path_annual_change_pct") is not None:
        console.print(f"Path {indicator['base_year']} → {indicator['target_year']}: "
                      f"{position['path_annual_change_pct']:+.2f} %/yr; still required from the latest year: "
                      f"[bold]{_fmt(position['required_annual_change_pct'], '{:+.2f}')} %/yr[/].", highlight=False)
