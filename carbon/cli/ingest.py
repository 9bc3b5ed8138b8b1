"""``carbon ingest``: validate, convert and store consumption files or meter telemetry, one batch per file."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

from carbon.cli.common import console, db_option, err_console, fail, open_db, print_json
from carbon.errors import CarbonError

__all__ = ["INGEST_WRITE_WAIT_S", "ingest_command", "print_summary", "progress_bar"]

INGEST_WRITE_WAIT_S = 6 * 3600.0  # how long an ingest waits for other writers [s] before giving up


@click.command("ingest")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@db_option
@click.option("--enterprise", "enterprise_id", help="The enterprise the files are for (fills and checks rows).")
@click.option("--format", "file_format", type=click.Choice(["auto", "csv", "xlsx", "json", "form205"]),
              default="auto", show_default=True)
@click.option("--confirm", is_flag=True, help="Apply revisions that would be held (large or late); needs --reason.")
@click.option("--reason", help="Why the stored months change (kept in the audit trail).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object with the counts and rejections.")
def ingest_command(paths: tuple[str, ...], db_path: str | None, enterprise_id: str | None, file_format: str,
                   confirm: bool, reason: str | None, as_json: bool) -> None:
    """Validate, convert and store consumption files (CSV, XLSX, JSON, form 205-1) or meter telemetry CSV.

    Each file is one batch: stored whole or not at all. Rows that fail validation are listed with their row
    number and reason, and the good rows of the same file are kept. A revision that changes a stored month by more
    than half, or a month past its deadline, is held for review unless --confirm --reason "…" is given. Exit status
    1 when a file cannot be read.
    """
    from carbon.ingest.pipeline import ingest_file
    from carbon.ingest.readers import UnreadableFile

    if confirm and not (reason or "").strip():
        fail("--confirm applies held revisions and needs a reason", 'add --reason "…" (kept in the audit trail)')
    totals = {"read": 0, "accepted": 0, "unchanged": 0, "revised": 0, "rejected": 0}
    files: list[dict[str, Any]] = []
    rejections: list[dict[str, Any]] = []
    unreadable = False
    show_progress = not as_json and console.is_terminal
    with open_db(db_path) as store:
        # Another ingest may hold the database for minutes: wait for it, and say so, rather than give up.
        store.write_wait_s = INGEST_WRITE_WAIT_S
        store.on_write_wait = lambda: err_console.print(
            "another write holds the database; waiting for it to finish …", highlight=False)
        for path in paths:
            size = Path(path).stat().st_size
            with progress_bar(show_progress, Path(path).name) as advance:
                try:
                    summary = ingest_file(store, path, format=file_format, enterprise_id=enterprise_id,
                                          progress=advance, confirm=confirm, reason=reason)
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
                print_summary(path, record)
    if as_json:
        print_json({**totals, "rejections": rejections, "files": files})
    sys.exit(1 if unreadable else 0)


@contextmanager
def progress_bar(enabled: bool, label: str) -> Iterator[Any]:
    """A transient progress bar counting rows; yields the function that advances it (None when disabled)."""
    if not enabled:
        yield None
        return
    with Progress(SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("{task.completed:,} rows"), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task(label, total=None)
        yield lambda rows: progress.advance(task, rows)


def print_summary(path: str, record: dict[str, Any]) -> None:
    """The counts of one file's batch, and its first rejections."""
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
    held = record.get("held") or []
    for revision in held[:20]:
        old, new = revision.get("old") or {}, revision.get("new") or {}
        console.print(f"  held: {revision['enterprise_id']} {revision['period']} {revision['carrier']} "
                      f"{old.get('quantity')} → {new.get('quantity')} {new.get('unit') or ''}", highlight=False,
                      style="yellow")
    if held:
        console.print(f"  {len(held)} revision(s) held, not applied: send the file again with --confirm --reason "
                      "\"…\", or let the bureau approve them (/v1/revisions)", highlight=False, style="yellow")
