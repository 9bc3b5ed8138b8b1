"""The ``carbon`` command: one module per command family, gathered under the group :func:`main`."""

from __future__ import annotations

import click

from carbon.cli.admin import region_list, region_update, token_list, token_revoke
from carbon.cli.audit import audit_group
from carbon.cli.common import console, db_option, err_console
from carbon.cli.convert import convert_command
from carbon.cli.ingest import ingest_command
from carbon.cli.jobs import jobs_group
from carbon.cli.plans import plan_command
from carbon.cli.registry import enterprise_group, region_group, token_group
from carbon.cli.reports import print_carbon, print_intensity, report_command
from carbon.cli.serve import demo_command, mqtt_command, serve_command

__all__ = [
    "console", "convert_command", "db_option", "demo_command", "enterprise_group", "err_console", "ingest_command",
    "jobs_group", "main", "mqtt_command", "print_carbon", "print_intensity", "region_group", "report_command",
    "serve_command", "token_group",
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="carbon")
def main() -> None:
    """Energy and carbon monitoring: energy data in, tce and CO2 out, on the published factors."""


for _command in (convert_command, ingest_command, enterprise_group, region_group, token_group, jobs_group,
                 report_command, mqtt_command, serve_command, demo_command, audit_group):
    main.add_command(_command)
region_group.add_command(plan_command)
for _command in (region_list, region_update):
    region_group.add_command(_command)
for _command in (token_list, token_revoke):
    token_group.add_command(_command)
