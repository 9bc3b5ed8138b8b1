"""`carbon demo` and `carbon report` on the seed region's demo data."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from carbon.audit import verify
from carbon.cli import main
from carbon.demo import load_demo
from carbon.store import Scope, Store
from tests.databases import new_database


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = new_database(tmp_path_factory.mktemp("demo"), "demo")
    store = Store(path)
    load_demo(store)
    store.close()
    return path


def test_loading_again_changes_nothing(demo_db: str) -> None:
    store = Store(demo_db)
    before = (store.conn.execute("SELECT COUNT(*), SUM(revision) FROM consumption").fetchone(),
              store.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone())
    again = load_demo(store)
    assert all(f == {"skipped": "already loaded"} for f in again["files"].values())
    after = (store.conn.execute("SELECT COUNT(*), SUM(revision) FROM consumption").fetchone(),
             store.conn.execute("SELECT COUNT(*) FROM audit_log").fetchone())
    assert after == before
    assert verify(store).ok
    # the corrections file became revisions with audit entries
    assert len(store.audit_entries(Scope.everything(), action="revise")) == 6
    store.close()


def test_demo_no_serve_prints_the_summary(demo_db: str) -> None:
    result = CliRunner().invoke(main, ["demo", "--db", demo_db, "--no-serve"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "0.1500" in out and "0.1300" in out  # the published 2020 intensity and the 2025 target on the path
    assert "still required" in out and "Peak status" in out


def test_report_intensity_json(demo_db: str) -> None:
    result = CliRunner().invoke(main, ["report", "intensity", "--region", "gz-htz", "--db", demo_db, "--json"])
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    years = {row["year"]: row for row in report["years"]}
    assert years[2020]["intensity"] == pytest.approx(0.15)  # derived from the published figures
    assert years[2025]["target_path"] == pytest.approx(0.13)
    for name in ("year", "energy_tce", "energy_adjusted_tce", "gdp_constant", "intensity", "intensity_adjusted",
                 "change_pct", "cumulative_change_pct", "target_path", "on_track"):
        assert name in years[2024]
    assert report["required_annual_change_pct"] < report["target"]["annual_change_pct"] < 0  # behind the path


def test_report_carbon_json(demo_db: str) -> None:
    result = CliRunner().invoke(main, ["report", "carbon", "--region", "gz-htz", "--db", demo_db, "--json"])
    report = json.loads(result.stdout)
    assert report["peak"]["status"] in ("pre_peak", "plateau", "peaked_provisional", "peaked_confirmed")
    for row in report["decomposition"]:
        if row["status"] == "ok":
            effects = row["gdp_effect"] + row["energy_intensity_effect"] + row["carbon_intensity_effect"]
            assert effects == pytest.approx(row["delta_co2"], rel=1e-9)


def test_report_unknown_region_says_what_to_do(demo_db: str) -> None:
    result = CliRunner().invoke(main, ["report", "intensity", "--region", "atlantis", "--db", demo_db])
    assert result.exit_code == 2 and "carbon region add" in result.stderr


def test_report_without_targets_gives_the_series_and_says_so(tmp_path) -> None:
    db = new_database(tmp_path, "bare")
    assert CliRunner().invoke(main, ["region", "add", "bare", "--name", "no targets", "--db", db]).exit_code == 0
    # Without statistics nor targets the report is an empty series that says it has no target (issue 14: the
    # intensity needs no target).
    result = CliRunner().invoke(main, ["report", "intensity", "--region", "bare", "--db", db])
    assert result.exit_code == 0, result.output
    assert "no target" in result.stdout and "no intensity target" in result.stdout


def test_registry_errors_say_what_to_do(tmp_path) -> None:
    db = new_database(tmp_path, "registry")
    result = CliRunner().invoke(main, ["enterprise", "add", "E1", "--name", "n", "--region", "nowhere", "--db", db])
    assert result.exit_code == 2 and "carbon region add nowhere" in result.stderr
    result = CliRunner().invoke(main, ["token", "create", "--role", "enterprise", "--db", db])
    assert result.exit_code == 2 and "--enterprise ID" in result.stderr
    result = CliRunner().invoke(main, ["token", "create", "--role", "enterprise", "--enterprise", "E1", "--db", db])
    assert result.exit_code == 2 and "carbon enterprise add E1" in result.stderr
