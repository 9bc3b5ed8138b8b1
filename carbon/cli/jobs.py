"""``carbon jobs``: the scheduled jobs, their schedule and last run; run one now."""

from __future__ import annotations

import json
import sys

import click
from rich.table import Table

from carbon.cli.common import console, db_option, fail, open_db, print_json
from carbon.store import default_db_path

__all__ = ["jobs_group"]


@click.group("jobs")
def jobs_group() -> None:
    """Scheduled jobs: list them, or run one now."""


@jobs_group.command("list")
@db_option
@click.option("--json", "as_json", is_flag=True)
def jobs_list(db_path: str | None, as_json: bool) -> None:
    """List the jobs with their schedule and last run."""
    from carbon.jobs import list_jobs

    with open_db(db_path) as store:
        jobs = list_jobs(store)
    if as_json:
        print_json(jobs)
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
        fail(f"unknown job {name!r}; jobs: {', '.join(sorted(registered_jobs()))}", "`carbon jobs list` shows them")
    result = run_job(name, db_path or default_db_path())
    if as_json:
        print_json(result)
    else:
        colour = {"ok": "green", "skipped": "yellow"}.get(result["status"], "red")
        console.print(f"{name}: [{colour}]{result['status']}[/] {json.dumps(result['counts'], ensure_ascii=False)}"
                      + (f" — {result['error']}" if result["error"] else ""), highlight=False)
    sys.exit(0 if result["status"] in ("ok", "skipped") else 1)
