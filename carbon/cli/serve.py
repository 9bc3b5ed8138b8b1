"""``carbon serve``, ``carbon demo`` and ``carbon mqtt``: the long-running commands.

The HTTP service is started through uvicorn's import string, so the core never imports the web layer.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import click
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn

from carbon.cli.admin import ensure_port_free
from carbon.cli.common import console, db_option, open_db, print_json
from carbon.cli.plans import print_plans_summary
from carbon.cli.reports import print_carbon, print_intensity
from carbon.store import default_db_path

__all__ = ["demo_command", "mqtt_command", "serve", "serve_command"]

APP = "api.main:create_app"  # the service's app factory, imported by name in each serving process


def serve(db_path: str, host: str, port: int, workers: int = 1) -> None:
    """Run the HTTP service through uvicorn, which imports the app by name (the core never imports the web layer);
    the service reads its settings from the environment.

    With ``workers`` > 1, that many processes share the port and the database: their writers take turns on the
    database's writer lock, the scheduled jobs run in one of them, and upload jobs are claimed once. Each process
    listens on a socket of its own where the system allows it (:mod:`carbon.cli.workers`), so that connections
    are spread over them evenly.
    """
    import socket

    import uvicorn

    from carbon.cli.workers import Server, serve_processes

    os.environ["CARBON_DB"] = db_path
    if workers > 1 and hasattr(socket, "SO_REUSEPORT"):
        serve_processes(APP, host, port, workers)  # exits with the status of the service
    elif workers > 1:
        uvicorn.run(APP, factory=True, host=host, port=port, log_level="info", workers=workers)
    else:
        Server(uvicorn.Config(APP, factory=True, host=host, port=port, log_level="info")).run()


@click.command("serve")
@db_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64), envvar="CARBON_WORKERS",
              help="Processes serving requests (one interpreter each uses one core; e.g. the number of cores).")
def serve_command(db_path: str | None, host: str, port: int, workers: int) -> None:
    """Serve the HTTP API, the dashboard and the scheduled jobs."""
    ensure_port_free(host, port)
    serve(db_path or default_db_path(), host, port, workers)


@click.command("demo")
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
    with open_db(path) as store:
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
        print_plans_summary(store, DEMO_REGION)
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
    serve(path, host, port)


@click.command("mqtt")
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
        print_json(final)
    else:
        report(final)
    sys.exit(1 if final.get("unsaved") else 0)
