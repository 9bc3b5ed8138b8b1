"""``carbon convert``: one quantity into energy, tce and CO2, with the factors used."""

from __future__ import annotations

import click
from rich.table import Table

from carbon.accounting import BASES, GRID_SERIES, METHODS, convert
from carbon.cli.common import console, fail, fail_on, print_json
from carbon.errors import CarbonError

__all__ = ["convert_command"]

HINT = "see `carbon convert --help` for the accepted units, carriers and options"


@click.command("convert", context_settings={"ignore_unknown_options": True})
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
    if (ncv is None) != (ncv_unit is None):
        fail("a measured NCV needs its unit", "give --ncv together with --ncv-unit, e.g. --ncv 21500 --ncv-unit kJ/kg")
    try:
        result = convert(quantity, unit, carrier, basis=basis, year=year, region=region, method=method,
                         grid_series=grid_series, ncv=ncv, ncv_unit=ncv_unit)
    except (CarbonError, ValueError) as error:  # ValueError: where the conversion still raises the built-in
        fail_on(error, {Exception: HINT})
    if as_json:
        print_json(result.to_dict())
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
