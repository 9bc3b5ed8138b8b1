"""Administration commands: tokens (list, revoke), regions (list, update), and the port check of `serve`/`demo`.

Attached to the groups of :mod:`carbon.cli`.
"""

from __future__ import annotations

import socket
import sys
from typing import Any

import click
from rich.console import Console
from rich.table import Table

from carbon.cli.common import db_option, err_console, fail
from carbon.errors import CarbonError, NotFound
from carbon.store import default_db_path, open_store

__all__ = ["ensure_port_free", "region_list", "region_update", "token_list", "token_revoke"]

console = Console()
if not console.is_terminal:
    console = Console(width=160)  # piped output: wide enough for whole token ids


def ensure_port_free(host: str, port: int) -> None:
    """Stop with a plain message naming ``--port`` when the address is taken (before anything is written)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            err_console.print(f"[bold red]error:[/] {host}:{port} is already in use ({error.strerror}); another "
                              f"service may be running there. Choose another port with --port {port + 1}, or stop "
                              "the other service.", highlight=False)
            sys.exit(2)


@click.command("list")
@click.option("--all", "show_all", is_flag=True, help="Also revoked and expired tokens.")
@db_option
def token_list(show_all: bool, db_path: str | None) -> None:
    """Tokens (never the secrets): id, role, enterprise, label, created, expires, revoked."""
    from carbon.store import now_iso

    with open_store(db_path or default_db_path()) as store:
        tokens = store.list_tokens()
    now = now_iso()
    table = Table("id", "role", "enterprise", "label", "created", "expires", "revoked")
    table.columns[0].overflow = "fold"  # the id is what `revoke` takes: never cut it short
    for token in tokens:
        live = not token["revoked_at"] and (not token["expires_at"] or token["expires_at"] > now)
        if live or show_all:
            table.add_row(*(str(token.get(k) or "") for k in ("id", "role", "enterprise_id", "label", "created_at",
                                                                "expires_at", "revoked_at")))
    console.print(table)


@click.command("revoke")
@click.argument("token_id")
@db_option
def token_revoke(token_id: str, db_path: str | None) -> None:
    """Revoke a token by its id (see `carbon token list`); it stops working at once."""
    from carbon.access import revoke_token

    with open_store(db_path or default_db_path()) as store:
        try:
            revoke_token(store, token_id, actor="cli")
        except NotFound:
            fail(f"no token {token_id!r}", "`carbon token list --all` shows the ids")
    console.print(f"token {token_id} revoked")


@click.command("list")
@db_option
def region_list(db_path: str | None) -> None:
    """Regions with their intensity targets."""
    with open_store(db_path or default_db_path()) as store:
        regions = store.list_regions()
    table = Table("code", "name", "grid", "base", "target", "peak aim")
    for region in regions:
        table.add_row(region["code"], region["name"], region.get("grid_region") or "",
                      _target(region, "base"), _target(region, "target"), str(region.get("peak_aim_year") or ""))
    console.print(table)


def _target(region: dict[str, Any], which: str) -> str:
    year, value = region.get(f"intensity_{which}_year"), region.get(f"intensity_{which}_value")
    return f"{year}: {value} tce/万元" if year and value is not None else ""


@click.command("update")
@click.argument("code")
@click.option("--name")
@click.option("--grid-region", help="Grid region or province of its electricity factor.")
@click.option("--base-year", type=int)
@click.option("--base-value", type=float, help="[tce/万元]")
@click.option("--target-year", type=int)
@click.option("--target-value", type=float, help="[tce/万元]")
@click.option("--peak-aim-year", type=int)
@db_option
def region_update(code: str, db_path: str | None, **options: Any) -> None:
    """Change some fields of an existing region (the others stay)."""
    names = {"name": "name", "grid_region": "grid_region", "base_year": "intensity_base_year",
             "base_value": "intensity_base_value", "target_year": "intensity_target_year",
             "target_value": "intensity_target_value", "peak_aim_year": "peak_aim_year"}
    fields = {names[key]: value for key, value in options.items() if value is not None}
    if not fields:
        fail("nothing to change: give at least one option (see --help)")
    with open_store(db_path or default_db_path()) as store:
        try:
            current = store.get_region(code)
            store.upsert_region(code, **{"name": current["name"], **fields})
        except CarbonError as error:
            fail(f"{error}; `carbon region list` shows the regions, `carbon region add` creates one")
    console.print(f"region {code} updated: {', '.join(sorted(fields))}")
