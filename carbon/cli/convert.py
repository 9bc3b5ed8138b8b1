"""``carbon convert``: one quantity into energy, tce and CO2, with the factors used."""

from __future__ import annotations

import click
from rich.table import Table

from carbon.accounting import BASES, GRID_SERIES, METHODS, convert
from carbon.accounting.coefficients import METHOD_NAMES
from carbon.cli.common import console, fail, fail_on, print_json
from carbon.errors import CarbonError

__all__ = ["convert_command"]

HINT = "see `carbon convert --help` for the accepted units, carriers and options"
BASIS_LABELS = {"equivalent": "当量值 (equivalent)", "equal": "等价值 (equal-value)"}


@click.command("convert", context_settings={"ignore_unknown_options": True})
@click.argument("quantity")
@click.argument("unit")
@click.argument("carrier")
@click.option("--year", help="Data year (picks the electricity factors), e.g. 2024.")
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
def convert_command(quantity: str, unit: str, carrier: str, year: str | None, region: str | None, basis: str,
                    method: str, grid_series: str, ncv: float | None, ncv_unit: str | None,
                    as_json: bool) -> None:
    """Convert QUANTITY UNIT of CARRIER into energy, tce and CO2.

    UNIT and CARRIER may be Chinese or English: `carbon convert 12 万千瓦时 电力`,
    `carbon convert 3.5 吨 原煤`, `carbon convert 1000 kWh electricity --year 2022`.
    """
    if (ncv is None) != (ncv_unit is None):
        fail("a measured NCV needs its unit", "give --ncv together with --ncv-unit, e.g. --ncv 21500 --ncv-unit kJ/kg")
    try:
        result = convert(quantity, unit, carrier, basis=basis, year=year, region=region, method=method,
                         grid_series=grid_series, ncv=ncv, ncv_unit=ncv_unit)
    except CarbonError as error:
        fail_on(error, {Exception: HINT})
    if as_json:
        print_json(result.to_dict())
        return
    table = Table(title=f"{result.quantity:g} {unit} {result.carrier_zh} ({result.carrier})", show_header=False)
    table.add_row("energy 热量", f"{result.energy_gj:,.4f} GJ")
    other = "equal" if basis == "equivalent" else "equivalent"
    for name in (basis, other):
        value = result.tce_equivalent if name == "equivalent" else result.tce_equal
        table.add_row(f"标准煤 {BASIS_LABELS[name]}", f"{value:,.4f} tce")
    co2_label = ("grid factor " + grid_series if result.carrier == "electricity" else METHOD_NAMES[method])
    table.add_row(f"CO2 ({co2_label})", f"{result.co2_t:,.4f} t")
    console.print(table)
    for factor in result.factors:
        flag = "" if factor.status == "verified" else " [yellow](unverified)[/]"
        console.print(f"  {factor.id}: {factor.value:g} {factor.unit} — {factor.source}{flag}", highlight=False)
    if result.fallback_factors:
        console.print(f"  [yellow]fell back to another year:[/] {', '.join(result.fallback_factors)}",
                      highlight=False)
    for note in result.notes:
        console.print(f"  [yellow]note:[/] {note}", highlight=False)
    console.print(f"  factor version {result.factor_version}", style="dim")
