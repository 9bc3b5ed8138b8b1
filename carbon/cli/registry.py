"""``carbon enterprise``, ``carbon region`` and ``carbon token``: who reports, where, and who may call the API."""

from __future__ import annotations

import click
from rich.table import Table

from carbon.access import ROLES, UnboundToken
from carbon.cli.common import console, db_option, err_console, fail, fail_on, open_db
from carbon.errors import CarbonError, NotFound

__all__ = ["enterprise_group", "region_group", "token_group"]

ADD_REGION = "create it with `carbon region add {code} --name …`"


# -- enterprises ----------------------------------------------------------------------------------------------

@click.group("enterprise")
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
    with open_db(db_path) as store:
        try:
            written = store.add_enterprises([{"id": enterprise_id, "name": name, "region": region,
                                              "industry": industry, "credit_code": credit_code}])
        except NotFound:  # the only row it looks up is the region
            fail(f"no region {region!r}", ADD_REGION.format(code=region))
        except (CarbonError, ValueError) as error:  # ValueError: where the store still raises the built-in
            fail_on(error)
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
        fail(f"{file}: missing column(s) {', '.join(sorted(missing))}; expected id,name,region[,industry]")
    with open_db(db_path) as store:
        try:
            written = store.add_enterprises(frame.replace({"": None}).to_dict("records"))
        except (CarbonError, ValueError) as error:  # ValueError: where the store still raises the built-in
            fail_on(error, {NotFound: ADD_REGION.format(code="CODE")})
    console.print(f"{written} enterprise(s) added, {len(frame) - written} already registered")


@enterprise_group.command("list")
@click.option("--region")
@db_option
def enterprise_list(region: str | None, db_path: str | None) -> None:
    """List registered enterprises."""
    from carbon.store import Scope

    with open_db(db_path) as store:
        rows = store.list_enterprises(Scope.everything(), region=region)
    table = Table("id", "name", "region", "industry")
    for row in rows:
        table.add_row(row["id"], row["name"], row["region"], row.get("industry") or "")
    console.print(table)


# -- regions --------------------------------------------------------------------------------------------------

@click.group("region")
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
    with open_db(db_path) as store:
        try:
            store.upsert_region(code, **{k: v for k, v in fields.items() if v is not None})
        except NotFound:  # the only row it looks up is the parent
            fail(f"no parent region {parent!r}", f"create the parent first with `carbon region add {parent} --name …`")
        except (CarbonError, ValueError) as error:  # ValueError: where the store still raises the built-in
            fail_on(error)
    console.print(f"region {code} saved")


# -- tokens ---------------------------------------------------------------------------------------------------

@click.group("token")
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

    with open_db(db_path) as store:
        try:
            token_id, token = create_token(store, role=role, enterprise_id=enterprise_id, label=label, days=days)
        except NotFound:  # the only row it looks up is the enterprise
            fail(f"no enterprise {enterprise_id!r}",
                 f"register it with `carbon enterprise add {enterprise_id} --name … --region …`")
        except CarbonError as error:
            fail_on(error, {UnboundToken: "leave out --enterprise" if enterprise_id else
                            "give --enterprise ID (the enterprise it may act for)"})
    err_console.print(f"token {token_id} ({role}{' for ' + enterprise_id if enterprise_id else ''}); "
                      "store it now — it is not shown again:", highlight=False)
    click.echo(token)
