"""``carbon audit``: verify the audit trail (optionally against a checkpoint) and write a checkpoint."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from carbon.cli.common import db_option

__all__ = ["audit_group"]



@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit trail: verify it, and keep its head outside the database."""


@audit_group.command("checkpoint")
@db_option
@click.option("--output", "-o", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Also write the checkpoint (JSON) to this file; keep it somewhere the database's users cannot "
                   "write.")
def checkpoint_command(db_path: str | None, output: str | None) -> None:
    """Print the chain's head (seq and hash) as JSON; `carbon audit verify --against` checks it later."""
    from carbon.audit_coverage import checkpoint
    from carbon.store import default_db_path, open_store

    store = open_store(db_path or default_db_path())
    try:
        mark = checkpoint(store)
    finally:
        store.close()
    text = json.dumps(mark)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    click.echo(text)


@audit_group.command("verify")
@db_option
@click.option("--against", "against", type=click.Path(exists=True, dir_okay=False), default=None,
              help="A checkpoint file from `carbon audit checkpoint`: the entry it names must still be there.")
@click.option("--json", "as_json", is_flag=True, help="Print the result as one JSON object.")
def verify_command(db_path: str | None, against: str | None, as_json: bool) -> None:
    """Check the chain, every batch, derived values, totals, readings and tokens; exit 1 on any mismatch."""
    from carbon.audit import verify
    from carbon.audit_coverage import check_against
    from carbon.store import default_db_path, open_store

    try:
        mark = json.loads(Path(against).read_text(encoding="utf-8")) if against else None
    except (ValueError, OSError) as error:
        raise click.UsageError(f"--against {against}: not a checkpoint file ({error})") from None
    if mark is not None and not isinstance(mark, dict):
        raise click.UsageError(f"--against {against}: not a checkpoint file (expected {{\"seq\": …, \"hash\": …}})")
    store = open_store(db_path or default_db_path())
    try:
        result = verify(store)
        if mark is not None:
            check_against(store, mark, result)
    finally:
        store.close()
    if as_json:
        click.echo(json.dumps(result.to_dict(), ensure_ascii=False))
    elif result.ok:
        click.echo(f"ok: {result.entries} entries, {result.batches_checked} batches checked")
    else:
        click.echo(f"MISMATCH: {len(result.problems)} problem(s), first broken entry {result.first_broken_seq}",
                   err=True)
        for problem in result.problems:
            click.echo(f"  {problem}", err=True)
    sys.exit(0 if result.ok else 1)
