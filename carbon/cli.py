"""The ``carbon`` command."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbon.access import ROLES
from carbon.accounting import BASES, GRID_SERIES, METHODS, convert
from carbon.cli_admin import ensure_port_free, region_list, region_update, token_list, token_revoke
from carbon.errors import CarbonError
from carbon.store import Store, default_db_path, open_store

console = Console()
if not console.is_terminal:
    console = Console(width=120)  # piped output: wide enough for the report tables
err_console = Console(stderr=True)


def _fail(message: str, hint: str | None = None) -> None:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    if hint:
        err_console.print(hint, highlight=False)
    sys.exit(2)


def _print_json(payload: Any) -> None:
    click.echo(json.dumps(payload, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbon")
def main() -> None:
    """Energy and carbon monitoring: energy data in, tce and CO2 out, on the published factors."""


@main.command("convert", context_settings={"ignore_unknown_options": True})
@click.argument("quantity")
@click.argument("unit")
@click.argument("carrier")
@click.option("--year", type=int, help="Data year (picks the electricity factors).")
@click.option("--region", help="Grid region or province for electricity: south, 南方, guangdong, 广东 ...")
@click.option("--basis", type=click.Choice(BASES), default="equivalent", show_default=True,
              help="tce basis: equivalent (当量值) or equal (等价值).")
@click.option("--method", type=click.Choice(METHODS), default="cn", show_default=True,
              help="Fuel CO2 method: Chinese guidelines or IPCC 2006 defaults.")
@click.option("--grid-series", type=click.Choice(GRID_SERIES), default="average", show_default=True,
              help="Electricity CO2 series (cets = carbon-market reporting factor).")
@click.option("--ncv", type=float, help="Measured net calorific value, with --ncv-unit (e.g. 21500 kJ/kg).")
@click.option("--ncv-unit", help="Unit of --ncv, e.g. kJ/kg, MJ/m3.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def convert_command(quantity: str, unit: str, carrier: str, year: int | None, region: str | None, basis: str,
                    method: str, grid_series: str, ncv: float | None, ncv_unit: str | None,
                    as_json: bool) -> None:
    """Convert QUANTITY UNIT of CARRIER into energy, tce and CO2.

    UNIT and CARRIER may be Chinese or English: `carbon convert 12 万千瓦时 电力`,
    `carbon convert 3.5 吨 原煤`, `carbon convert 1000 kWh electricity --year 2022`.
    """
    try:
        result = convert(quantity, unit, carrier, basis=basis, year=year, region=region, method=method,
                         grid_series=grid_series, ncv=ncv, ncv_unit=ncv_unit)
    except (CarbonError, ValueError) as error:
        _fail(str(error), "see `carbon convert --help` for the accepted units, carriers and options")
        return
    if as_json:
        _print_json(result.to_dict())
        return
    table = Table(title=f"{result.quantity:g} {unit} {result.carrier_zh} ({result.carrier})", show_header=False)
    table.add_row("energy", f"{result.energy_gj:,.4f} GJ")
    table.add_row(f"tce ({basis})", f"{result.tce:,.4f} tce")
    other = "equal" if basis == "equivalent" else "equivalent"
    table.add_row(f"tce ({other})", f"{result.tce_equal if other == 'equal' else result.tce_equivalent:,.4f} tce")
    table.add_row(f"CO2 ({method})", f"{result.co2_t:,.4f} t")
    console.print(table)
    for factor in result.factors:
        flag = "" if factor.status == "verified" else " [yellow](unverified)[/]"
        console.print(f"  {factor.id}: {factor.value:g} {factor.unit} — {factor.source}{flag}", highlight=False)
    for note in result.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)
    console.print(f"  factor version {result.factor_version}", style="dim")


db_option = click.option("--db", "db_path", type=click.Path(dir_okay=False), default=None,
                         help="SQLite database (default: $CARBON_DB or data/carbon.db).")


@contextmanager
def _store(db_path: str | None) -> Iterator[Store]:
    store = open_store(db_path or default_db_path())
    try:
        yield store
    finally:
        store.close()


# -- ingest -------------------------------------------------------------------------------------------------

@main.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--enterprise", "enterprise_id", help="The enterprise the files are for (fills and checks rows).")
@click.option("--format", "file_format", type=click.Choice(["auto", "csv", "xlsx", "json", "form205"]),
              default="auto", show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the counts and rejections.")
def ingest_command(paths: tuple[str, ...], db_path: str | None, enterprise_id: str | None, file_format: str,
                   as_json: bool) -> None:
    """Validate, convert and store consumption files (CSV, XLSX, JSON, form 205-1) or meter telemetry CSV.

    Each file is one batch: stored whole or not at all. Rows that fail validation are listed with their row
    number and reason, and the good rows of the same file are kept. Exit status 1 when a file cannot be read.
    """
    from carbon.ingest.pipeline import ingest_file
    from carbon.ingest.readers import UnreadableFile

    totals = {"read": 0, "accepted": 0, "unchanged": 0, "revised": 0, "rejected": 0}
    files: list[dict[str, Any]] = []
    rejections: list[dict[str, Any]] = []
    unreadable = False
    show_progress = not as_json and console.is_terminal
    with _store(db_path) as store:
        for path in paths:
            size = Path(path).stat().st_size
            with _progress(show_progress, Path(path).name) as advance:
                try:
                    summary = ingest_file(store, path, format=file_format, enterprise_id=enterprise_id,
                                          progress=advance)
                except (UnreadableFile, CarbonError, ValueError, OSError) as error:
                    unreadable = True
                    files.append({"file": path, "status": "unreadable", "error": str(error)})
                    if not as_json:
                        err_console.print(f"[bold red]{path}:[/] cannot be read: {error}", highlight=False)
                    continue
            record = summary.to_dict()
            for key in totals:
                totals[key] += record[key]
            for rejection in record["rejections"]:
                rejections.append({"file": path, **rejection})
            files.append({"file": path, "size_bytes": size, **{k: v for k, v in record.items() if k != "rejections"}})
            if not as_json:
                _print_summary(path, record)
    if as_json:
        _print_json({**totals, "rejections": rejections, "files": files})
    sys.exit(1 if unreadable else 0)


@contextmanager
def _progress(enabled: bool, label: str) -> Iterator[Any]:
    if not enabled:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda rows: progress.advance(task, rows)


def _print_summary(path: str, record: dict[str, Any]) -> None:
    table = Table(title=f"{path}  (batch {record['batch_id'][:12]})", show_header=False, title_justify="left")
    for key, style in (("read", ""), ("accepted", "green"), ("unchanged", "dim"), ("revised", "yellow"),
                       ("rejected", "red")):
        table.add_row(key, f"[{style}]{record[key]:,}[/]" if style else f"{record[key]:,}")
    console.print(table)
    shown = record["rejections"][:20]
    for rejection in shown:
        console.print(f"  row {rejection['row']}: {rejection['field']} {rejection.get('value') or ''!s} — "
                      f"{rejection['reason']}", highlight=False, style="red")
    if len(record["rejections"]) > len(shown):
        console.print(f"  … and {len(record['rejections']) - len(shown)} more (use --json for all)", style="red")


# -- enterprises and regions --------------------------------------------------------------------------------

@main.group("enterprise")
def enterprise_group() -> None:
    """Register enterprises (reporting units)."""


@enterprise_group.command("add")
@click.argument("enterprise_id")
@click.option("--name", required=True)
@click.option("--region", required=True, help="Region code, e.g. gz-htz.")
@click.option("--industry", help="GB/T 4754-2017 industry code, e.g. C3974.")
@click.option("--credit-code", help="Unified social credit code (统一社会信用代码).")
@db_option
def enterprise_add(enterprise_id: str, name: str, region: str, industry: str | None, credit_code: str | None,
                   db_path: str | None) -> None:
    """Register one enterprise."""
    with _store(db_path) as store:
        try:
            written = store.add_enterprises([{"id": enterprise_id, "name": name, "region": region,
                                              "industry": industry, "credit_code": credit_code}])
        except (CarbonError, ValueError) as error:
            _fail(str(error))
            return
    console.print(f"enterprise {enterprise_id} {'added' if written else 'already registered (unchanged)'}")


@enterprise_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@db_option
def enterprise_import(file: str, db_path: str | None) -> None:
    """Register enterprises from a CSV with columns id,name,region[,industry,credit_code]."""
    import pandas as pd

    frame = pd.read_csv(file, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    missing = {"id", "name", "region"} - set(frame.columns)
    if missing:
        _fail(f"{file}: missing column(s) {', '.join(sorted(missing))}; expected id,name,region[,industry]")
    with _store(db_path) as store:
        try:
            written = store.add_enterprises(frame.replace({"": None}).to_dict("records"))
        except (CarbonError, ValueError) as error:
            _fail(str(error))
            return
    console.print(f"{written} enterprise(s) added, {len(frame) - written} already registered")


@enterprise_group.command("list")
@click.option("--region")
@db_option
def enterprise_list(region: str | None, db_path: str | None) -> None:
    """List registered enterprises."""
    from carbon.store import Scope

    with _store(db_path) as store:
        rows = store.list_enterprises(Scope.everything(), region=region)
    table = Table("id", "name", "region", "industry")
    for row in rows:
        table.add_row(row["id"], row["name"], row["region"], row.get("industry") or "")
    console.print(table)


@main.group("region")
def region_group() -> None:
    """Regions, their targets and statistics."""


@region_group.command("add")
@click.argument("code")
@click.option("--name", required=True)
@click.option("--parent")
@click.option("--grid-region", help="Grid region or province of its electricity factor (e.g. guangdong, south).")
@click.option("--base-year", type=int, help="Intensity base year, e.g. 2020.")
@click.option("--base-value", type=float, help="Intensity in the base year [tce/万元], e.g. 0.15.")
@click.option("--target-year", type=int, help="Intensity target year, e.g. 2025.")
@click.option("--target-value", type=float, help="Intensity target [tce/万元], e.g. 0.13.")
@click.option("--peak-aim-year", type=int, help="Year the region aims to peak its CO2 by.")
@db_option
def region_add(code: str, name: str, parent: str | None, grid_region: str | None, base_year: int | None,
               base_value: float | None, target_year: int | None, target_value: float | None,
               peak_aim_year: int | None, db_path: str | None) -> None:
    """Create (or update) a region."""
    fields = {"name": name, "parent": parent, "grid_region": grid_region, "intensity_base_year": base_year,
              "intensity_base_value": base_value, "intensity_target_year": target_year,
              "intensity_target_value": target_value, "peak_aim_year": peak_aim_year}
    with _store(db_path) as store:
        try:
            store.upsert_region(code, **{k: v for k, v in fields.items() if v is not None})
        except (CarbonError, ValueError) as error:
            _fail(str(error))
            return
    console.print(f"region {code} saved")


# -- tokens -------------------------------------------------------------------------------------------------

@main.group("token")
def token_group() -> None:
    """API tokens (stored hashed; shown once)."""


@token_group.command("create")
@click.option("--role", type=click.Choice(ROLES), required=True)
@click.option("--enterprise", "enterprise_id", help="The enterprise an enterprise token acts for.")
@click.option("--label", help="A note on who holds it.")
@click.option("--days", type=int, default=365, show_default=True, help="Lifetime in days.")
@db_option
def token_create(role: str, enterprise_id: str | None, label: str | None, days: int, db_path: str | None) -> None:
    """Create a bearer token and print it once (only its hash is stored)."""
    from carbon.access import create_token

    with _store(db_path) as store:
        try:
            token_id, token = create_token(store, role=role, enterprise_id=enterprise_id, label=label, days=days)
        except (CarbonError, ValueError) as error:
            _fail(str(error))
            return
    err_console.print(f"token {token_id} ({role}{' for ' + enterprise_id if enterprise_id else ''}); "
                      "store it now — it is not shown again:", highlight=False)
    click.echo(token)


# -- jobs ---------------------------------------------------------------------------------------------------

@main.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs: list them, or run one now."""


@jobs_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True)
def jobs_list(db_path: str | None, as_json: bool) -> None:
    """List the jobs with their schedule and last run."""
    from carbon.jobs import list_jobs

    with _store(db_path) as store:
        jobs = list_jobs(store)
    if as_json:
        _print_json(jobs)
        return
    table = Table("job", "schedule", "last run", "status", "what it does")
    for job in jobs:
        last = job["last_run"] or {}
        table.add_row(job["name"], job["schedule"], last.get("started_at") or "never", last.get("status") or "",
                      job["description"])
    console.print(table)


@jobs_group.command("run")
@click.argument("name")
@db_option
@click.option("--json", "as_json", is_flag=True)
def jobs_run(name: str, db_path: str | None, as_json: bool) -> None:
    """Run one job now (it waits for nothing: a run already in progress makes this one skip)."""
    from carbon.jobs import registered_jobs, run_job

    if name not in registered_jobs():
        _fail(f"unknown job {name!r}; jobs: {', '.join(sorted(registered_jobs()))}")
    result = run_job(name, db_path or default_db_path())
    if as_json:
        _print_json(result)
    else:
        colour = {"ok": "green", "skipped": "yellow"}.get(result["status"], "red")
        console.print(f"{name}: [{colour}]{result['status']}[/] {json.dumps(result['counts'], ensure_ascii=False)}"
                      + (f" — {result['error']}" if result["error"] else ""), highlight=False)
    sys.exit(0 if result["status"] in ("ok", "skipped") else 1)


# -- reports ------------------------------------------------------------------------------------------------

def _fmt(value: Any, pattern: str = "{:,.0f}") -> str:
    return "—" if value is None else pattern.format(value)


def _in(value: float | None, unit: str, target: str) -> float | None:
    """A stored value in a unit people read at a glance (万tce, 亿元), through the one registry."""
    from carbon.units import Q_

    return None if value is None else Q_(value, unit).to(target).magnitude


def print_intensity(report: dict[str, Any]) -> None:
    """The intensity report as a person reads it: a table by year against the path, then what is required."""
    target = report["target"]
    table = Table(title=f"{report['name']} ({report['region']}) — energy intensity \\[tce/万元], "
                        f"{target['base_value']} in {target['base_year']} → {target['target_value']} in "
                        f"{target['target_year']}", title_justify="left")
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


@main.command("report")
@click.argument("kind", type=click.Choice(["intensity", "carbon"]))
@click.option("--region", "code", required=True, help="Region code, e.g. gz-htz.")
@click.option("--gdp-growth", type=float, help="Real GDP growth of the next open year [%], for its energy budget.")
@db_option
@click.option("--json", "as_json", is_flag=True)
def report_command(kind: str, code: str, gdp_growth: float | None, db_path: str | None, as_json: bool) -> None:
    """A region's energy intensity against its target path, or its CO2 and peak status."""
    from carbon.reports import region_carbon, region_intensity

    with _store(db_path) as store:
        try:
            report = (region_intensity(store, code, gdp_growth_pct=gdp_growth) if kind == "intensity"
                      else region_carbon(store, code))
        except (CarbonError, ValueError) as error:
            _fail(str(error))
            return
    if as_json:
        _print_json(report)
    elif kind == "intensity":
        print_intensity(report)
    else:
        print_carbon(report)


# -- telemetry ----------------------------------------------------------------------------------------------

@main.command("mqtt")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True, help="MQTT broker.")
@click.option("--port", default=1883, show_default=True, type=int)
@click.option("--prefix", default="carbon/telemetry", show_default=True,
              help="Topic prefix; messages arrive on <prefix>/<enterprise>/<meter>.")
@click.option("--client-id", help="Fixed client id (keeps the broker session across restarts).")
@click.option("--qos", type=click.IntRange(0, 2), default=1, show_default=True)
@click.option("--batch-size", type=click.IntRange(1, 1_000_000), default=5000, show_default=True)
@click.option("--flush-seconds", type=click.FloatRange(0.05, 3600), default=2.0, show_default=True)
@click.option("--report-every", type=click.FloatRange(1, 86400), default=60.0, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Print the final statistics as JSON.")
def mqtt_command(db_path: str | None, host: str, port: int, prefix: str, client_id: str | None, qos: int,
                 batch_size: int, flush_seconds: float, report_every: float, as_json: bool) -> None:
    """Subscribe to 15-minute meter telemetry over MQTT and store it in batches until stopped (Ctrl-C).

    Payloads are JSON points {"ts", "value", "unit", "carrier", "kind"} or lists of them; unreadable messages are
    kept for inspection, invalid points rejected with their reason; nothing stops the subscriber.
    """
    import logging

    from carbon.ingest.mqtt import TelemetrySubscriber

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    log = logging.getLogger("carbon.mqtt")
    subscriber = TelemetrySubscriber(db_path or default_db_path(), host=host, port=port, prefix=prefix, qos=qos,
                                     batch_size=batch_size, flush_seconds=flush_seconds, client_id=client_id)

    def report(stats: dict[str, Any]) -> None:
        stored = stats["stored"]
        log.info("received %s messages, %s points; stored %s new, %s unchanged, %s revised, %s rejected; "
                 "malformed %s", stats["received"], stats["points"], stored["accepted"], stored["unchanged"],
                 stored["revised"], stored["rejected"], stats["malformed"])

    final = subscriber.run_forever(report=report, report_every=report_every)
    if as_json:
        _print_json(final)
    else:
        report(final)
    sys.exit(1 if final.get("unsaved") else 0)


# -- demo and serve -----------------------------------------------------------------------------------------

def _serve(db_path: str, host: str, port: int) -> None:
    """Run the HTTP service through uvicorn, which imports the app by name (the core never imports the web layer);
    the service reads its settings from the environment."""
    import uvicorn

    os.environ["CARBON_DB"] = db_path
    uvicorn.run("api.main:create_app", factory=True, host=host, port=port, log_level="info")


@main.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def serve_command(db_path: str | None, host: str, port: int) -> None:
    """Serve the HTTP API, the dashboard and the scheduled jobs."""
    ensure_port_free(host, port)
    _serve(db_path or default_db_path(), host, port)


@main.command("demo")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load, print the region summary and exit.")
def demo_command(db_path: str | None, host: str, port: int, no_serve: bool) -> None:
    """Load the seed region's demo data (again: nothing changes), print its summary, then serve."""
    from carbon.demo import DEMO_REGION, load_demo
    from carbon.reports import region_carbon, region_intensity
    from carbon.reports.alerts import flag_missing_reports

    path = db_path or default_db_path()
    if not no_serve:
        ensure_port_free(host, port)  # before loading and minting tokens
    with _store(path) as store:
        with Progress(SpinnerColumn(), TextColumn("[bold]loading demo data[/] {task.description}"), BarColumn(),
                      TextColumn("{task.completed:,} rows"), console=console, transient=True,
                      disable=not console.is_terminal) as progress:
            task = progress.add_task("", total=None)

            def advance(name: str, rows: int) -> None:
                progress.update(task, description=name, advance=rows)

            loaded = load_demo(store, progress=advance)
        flag_missing_reports(store)
        stored = sum(f.get("accepted", 0) + f.get("revised", 0) for f in loaded["files"].values())
        console.print(f"Demo region {loaded['region']}: {len(loaded['files'])} files, {stored:,} rows stored "
                      f"this time (already loaded files are skipped). [dim]{loaded['synthetic']}[/]",
                      highlight=False)
        print_intensity(region_intensity(store, DEMO_REGION))
        print_carbon(region_carbon(store, DEMO_REGION))
        if no_serve:
            return
        from carbon.access import create_token

        tokens = {role: create_token(store, role=role, enterprise_id=enterprise, label="carbon demo", days=30)[1]
                  for role, enterprise in (("bureau", None), ("enterprise", "GZHTZ-0001"), ("finance", None),
                                           ("admin", None))}
    console.print(f"\nDashboard: [bold]http://{host}:{port}/[/]   API docs: http://{host}:{port}/docs",
                  highlight=False)
    console.print("Tokens for this demo (paste one into the dashboard; valid 30 days):")
    for role, token in tokens.items():
        who = " (enterprise GZHTZ-0001)" if role == "enterprise" else ""
        console.print(f"  {role:<10} {token}{who}", highlight=False, soft_wrap=True)
    _serve(path, host, port)


token_group.add_command(token_list)
token_group.add_command(token_revoke)
region_group.add_command(region_list)
region_group.add_command(region_update)

if __name__ == "__main__":
    main()
