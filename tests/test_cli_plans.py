"""The plan commands: set and show a plan, assess it."""

from __future__ import annotations

import json

from click.testing import CliRunner

from carbon.cli import main
from carbon.store import Store
from tests.databases import new_database


def _run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_region_plan_set_show_and_assess(tmp_path) -> None:
    db = new_database(tmp_path, "cli_plans")
    store = Store(db)
    store.upsert_region("gz-htz", name="广州高新技术产业开发区", intensity_base_year=2020, intensity_base_value=0.15,
                        intensity_target_year=2025, intensity_target_value=0.13)
    for year, gdp, energy in ((2020, 1_000_000, 150_000), (2021, 1_100_000, 159_500)):
        store.put_statistics("gz-htz", year, gdp_constant=gdp, energy_total_tce=energy, feedstock_tce=0,
                             co2_total_t=energy * 2.5)
    store.close()
    code, output = _run("region", "plan", "gz-htz", "15th-fyp", "--kind", "co2_intensity", "--base-year", "2025",
                        "--target-year", "2030", "--change-pct", "-17", "--source", "national", "--db", db, "--json")
    assert code == 0, output
    plan = json.loads(output)
    assert abs(plan["indicators"][0]["annual_change_pct"] + 3.658) < 1e-3
    code, output = _run("region", "plan", "gz-htz", "14th-fyp", "--db", db)
    assert code == 0 and "energy_intensity" in output and "-2.82" in output
    code, output = _run("report", "assessment", "--region", "gz-htz", "--plan", "14th-fyp", "--db", db, "--json")
    assert code == 0, output
    result = json.loads(output)["indicators"][0]["result"]
    assert abs(result["cumulative_change_pct"] + 3.3333) < 1e-3 and result["year"] == 2021  # 0.145 / 0.15 - 1
    code, output = _run("report", "assessment", "--region", "gz-htz", "--plan", "14th-fyp", "--db", db)
    assert code == 0 and "planned reduction" in output
    code, output = _run("report", "assessment", "--region", "gz-htz", "--db", db)
    assert code == 2 and "--plan" in output
    code, output = _run("region", "plan", "gz-htz", "14th-fyp", "--kind", "energy_intensity", "--base-year",
                        "2020", "--target-year", "2025", "--change-pct", "-13.5", "--db", db)
    assert code == 2 and "base_value" in output  # the CLI's usage and data errors exit 2
